#!/usr/bin/env bash
# Build a local stand-in for a pinned Python base image, from this machine's Debian python3 and busybox-static,
# for engines that cannot pull from a registry (tests, offline examples). It is a real CPython with its
# standard library (no pip), tagged with the name the generated Dockerfile pins.
#
#   scripts/docker-python-base.sh [TAG]     default python:3.12.8-slim-bookworm; prints the tag
#
# Needs DOCKER_HOST (or a local engine), /usr/bin/python3.11 (Debian's python3.11-minimal) and /bin/busybox.
set -euo pipefail

TAG="${1:-python:3.12.8-slim-bookworm}"
PY="${REIGN_BASE_PYTHON:-$(command -v python3.11 2>/dev/null | grep '^/usr/bin/' || echo /usr/bin/python3.11)}"
[ -x "$PY" ] || { echo "docker-python-base: no Debian python at $PY (apt-get install python3.11-minimal)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "docker-python-base: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
if docker image inspect "$TAG" >/dev/null 2>&1 && \
   [ "$(docker image inspect -f '{{index .Config.Labels "reign-base"}}' "$TAG")" = "python" ]; then
  echo "$TAG"; exit 0
fi
VER="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,usr/local/bin,usr/lib,tmp,etc,app} && chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for tool in sh ls cat cp mv rm mkdir wget env id echo sleep find; do ln -s busybox "$root/bin/$tool"; done
cp "$PY" "$root/usr/bin/python$VER"
ln -s "/usr/bin/python$VER" "$root/usr/local/bin/python"
ln -s "/usr/bin/python$VER" "$root/usr/local/bin/python3"
tar -C / --exclude="usr/lib/python$VER/test" --exclude='__pycache__' --exclude="usr/lib/python$VER/idlelib" \
  --exclude="usr/lib/python$VER/tkinter" -cf - "usr/lib/python$VER" | tar -C "$root" -xf -
# Shared libraries of the interpreter and of its extension modules, at the same paths as here.
{ ldd "$PY"; for so in /usr/lib/python"$VER"/lib-dynload/*.so; do ldd "$so" 2>/dev/null || true; done; } \
  | grep -o '/[^ ]*\.so[^ ]*' | sort -u | while read -r lib; do
    [ -e "$lib" ] || continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
tar -C "$root" -c . | docker import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'LABEL reign-base=python' - "$TAG" >/dev/null
echo "$TAG"
