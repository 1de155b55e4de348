#!/usr/bin/env bash
# Build a local stand-in for a pinned base image from this machine's own toolchain and busybox-static, for
# engines that cannot pull from a registry (tests, offline examples). Each is the real interpreter or compiler,
# tagged with the name the generated Dockerfile pins; with a registry, Docker pulls the real image instead.
#
#   scripts/docker-stack-base.sh python [TAG]   Debian's CPython + stdlib (no pip)  default python:3.12.8-slim-bookworm
#   scripts/docker-stack-base.sh node [TAG]     this machine's node + npm          default node:22.12.0-bookworm-slim
#   scripts/docker-stack-base.sh go [TAG]       Debian's Go toolchain               default golang:1.23.4-bookworm
#   scripts/docker-stack-base.sh alpine [TAG]   busybox only (a shell and wget)     default alpine:3.21.0
#
# Prints the tag. Needs a reachable engine (DOCKER_HOST) and /bin/busybox (apt-get install busybox-static).
# An image this script made before (label reign-base=STACK) is reused.
set -euo pipefail

STACK="${1:?usage: $0 python|node|go|alpine [TAG]}"
case "$STACK" in
  python) TAG="${2:-python:3.12.8-slim-bookworm}" ;;
  node) TAG="${2:-node:22.12.0-bookworm-slim}" ;;
  go) TAG="${2:-golang:1.23.4-bookworm}" ;;
  alpine) TAG="${2:-alpine:3.21.0}" ;;
  *) echo "docker-stack-base: unknown stack $STACK (python, node, go, alpine)" >&2; exit 2 ;;
esac
die() { echo "docker-stack-base: $*" >&2; exit 1; }
[ -x /bin/busybox ] || die "/bin/busybox missing (apt-get install busybox-static)"
if docker image inspect "$TAG" >/dev/null 2>&1 && \
   [ "$(docker image inspect -f '{{index .Config.Labels "reign-base"}}' "$TAG")" = "$STACK" ]; then
  echo "$TAG"; exit 0
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,usr/local/bin,usr/lib,tmp,etc,root} && chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for tool in sh ls cat cp mv rm mkdir wget env id echo sleep find grep sed tar; do ln -s busybox "$root/bin/$tool"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"

copy_libs() {  # the shared libraries of each binary given, at the same paths as here
  for bin in "$@"; do ldd "$bin" 2>/dev/null || true; done | { grep -o '/[^ ]*\.so[^ ]*' || true; } | sort -u |
  while read -r lib; do
    [ -e "$lib" ] || continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

env_path=/usr/local/bin:/usr/bin:/bin
case "$STACK" in
  python)
    PY="${REIGN_BASE_PYTHON:-/usr/bin/python3.11}"
    [ -x "$PY" ] || die "no Debian python at $PY (apt-get install python3.11-minimal)"
    VER="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    cp "$PY" "$root/usr/bin/python$VER"
    ln -s "/usr/bin/python$VER" "$root/usr/local/bin/python"
    ln -s "/usr/bin/python$VER" "$root/usr/local/bin/python3"
    tar -C / --exclude="usr/lib/python$VER/test" --exclude='__pycache__' --exclude="usr/lib/python$VER/idlelib" \
      --exclude="usr/lib/python$VER/tkinter" -cf - "usr/lib/python$VER" | tar -C "$root" -xf -
    copy_libs "$PY" /usr/lib/python"$VER"/lib-dynload/*.so ;;
  node)
    NODE="$(command -v node)" || die "no node on this machine (apt-get install nodejs)"
    NPM_DIR="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")" || die "no npm on this machine"
    cp "$NODE" "$root/usr/local/bin/node"
    mkdir -p "$root/usr/local/lib/node_modules"
    cp -a "$NPM_DIR" "$root/usr/local/lib/node_modules/npm"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
    ln -s /bin/busybox "$root/usr/bin/env"  # the npm script starts with #!/usr/bin/env node
    copy_libs "$NODE" ;;
  go)
    GOROOT_HERE="$(go env GOROOT 2>/dev/null)" || die "no go on this machine (apt-get install golang-go)"
    mkdir -p "$root/usr/local"
    tar -C "$(dirname "$GOROOT_HERE")" -h --exclude="$(basename "$GOROOT_HERE")/test" -cf - "$(basename "$GOROOT_HERE")" \
      | tar -C "$root/usr/local" -xf -
    mv "$root/usr/local/$(basename "$GOROOT_HERE")" "$root/usr/local/go"
    env_path="/usr/local/go/bin:$env_path"
    copy_libs "$root/usr/local/go/bin/go" ;;
  alpine) ;;
esac
copy_libs /bin/busybox
tar -C "$root" -c . | docker import --change "ENV PATH=$env_path" --change "ENV HOME=/root" \
  --change "LABEL reign-base=$STACK" - "$TAG" >/dev/null
echo "$TAG"
