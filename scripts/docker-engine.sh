#!/usr/bin/env bash
# Install, start and stop a private Docker engine for Reign's tests (and for users without one).
#
#   scripts/docker-engine.sh install   apt-get install docker.io busybox-static when missing
#   scripts/docker-engine.sh start     reuse an engine that answers, else start dockerd; prints DOCKER_HOST
#   scripts/docker-engine.sh image     build reign-test/busybox:latest from busybox-static (no registry)
#   scripts/docker-engine.sh up        install + start + image; prints DOCKER_HOST
#   scripts/docker-engine.sh stop      stop the dockerd this script started (by its pid file)
#   scripts/docker-engine.sh status    print DOCKER_HOST of an engine that answers, exit 1 if none
#
# dockerd runs without systemd and without a bridge (no iptables, no forwarding, no masquerading), so no
# traffic ever goes to a private-range address: containers use network_mode host or none.
# State lives under $REIGN_DOCKER_DIR (default /tmp/reign-docker). Only stdout carries the DOCKER_HOST url;
# progress goes to stderr. Set REIGN_DOCKER_REUSE=0 to ignore an engine found at DOCKER_HOST or
# /var/run/docker.sock and use only the private one.
set -euo pipefail

DIR="${REIGN_DOCKER_DIR:-/tmp/reign-docker}"
SOCK="$DIR/docker.sock"
PIDFILE="$DIR/dockerd.pid"
LOG="$DIR/dockerd.log"
OWN_HOST="unix://$SOCK"
IMAGE="${REIGN_TEST_IMAGE:-reign-test/busybox:latest}"
START_TIMEOUT="${REIGN_DOCKER_START_TIMEOUT:-60}"

log() { printf 'docker-engine: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root for: $*"
  fi
}

# answers URL -> 0 when an engine answers /_ping at URL (unix:// or tcp://)
answers() {
  local url="$1"
  case "$url" in
    unix://*)
      local path="${url#unix://}"
      [ -S "$path" ] || return 1
      if command -v curl >/dev/null 2>&1; then
        [ "$(curl -sS --max-time 3 --unix-socket "$path" http://localhost/_ping 2>/dev/null)" = "OK" ]
      else
        python3 - "$path" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\nHost: localhost\r\n\r\n")
data = b""
while chunk := s.recv(4096):
    data += chunk
sys.exit(0 if data.endswith(b"OK") else 1)
EOF
      fi
      ;;
    tcp://*)
      command -v curl >/dev/null 2>&1 || return 1
      [ "$(curl -sS --max-time 3 "http://${url#tcp://}/_ping" 2>/dev/null)" = "OK" ]
      ;;
    *) return 1 ;;
  esac
}

# find_engine -> prints the url of an engine that already answers
find_engine() {
  if answers "$OWN_HOST"; then echo "$OWN_HOST"; return 0; fi
  if [ "${REIGN_DOCKER_REUSE:-1}" != "0" ]; then
    if [ -n "${DOCKER_HOST:-}" ] && answers "$DOCKER_HOST"; then echo "$DOCKER_HOST"; return 0; fi
    if answers "unix:///var/run/docker.sock"; then echo "unix:///var/run/docker.sock"; return 0; fi
  fi
  return 1
}

cmd_install() {
  local need=()
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  [ -x /bin/busybox ] || need+=(busybox-static)
  if [ "${#need[@]}" -eq 0 ]; then log "docker.io and busybox-static already installed"; return 0; fi
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install ${need[*]} yourself"
  if ! compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null; then
    log "apt-get update"
    as_root apt-get update -qq >&2
  fi
  log "apt-get install ${need[*]}"
  if ! DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >&2; then
    log "install failed; retrying after apt-get update"
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  fi
}

cmd_start() {
  local url
  if url="$(find_engine)"; then log "reusing the engine at $url"; echo "$url"; return 0; fi
  command -v dockerd >/dev/null 2>&1 || cmd_install
  [ "$(id -u)" -eq 0 ] || die "dockerd needs root (no engine answers and this is uid $(id -u))"
  mkdir -p "$DIR/data" "$DIR/exec"
  if [ -f "$PIDFILE" ] && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then rm -f "$PIDFILE"; fi
  rm -f "$SOCK"
  log "starting dockerd (data $DIR/data, log $LOG)"
  # setsid: the daemon outlives this script and is not hit by the caller's Ctrl-C.
  setsid dockerd \
    --host "$OWN_HOST" \
    --data-root "$DIR/data" \
    --exec-root "$DIR/exec" \
    --pidfile "$PIDFILE" \
    --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
    >"$LOG" 2>&1 </dev/null &
  local i=0
  while ! answers "$OWN_HOST"; do
    i=$((i + 1))
    if [ "$i" -gt $((START_TIMEOUT * 5)) ]; then
      tail -n 20 "$LOG" >&2 || true
      die "dockerd did not answer at $OWN_HOST within ${START_TIMEOUT}s (log: $LOG)"
    fi
    if [ $((i % 5)) -eq 0 ] && [ -f "$PIDFILE" ] && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      tail -n 20 "$LOG" >&2 || true
      die "dockerd exited (log: $LOG)"
    fi
    sleep 0.2
  done
  log "dockerd ready at $OWN_HOST (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))"
  echo "$OWN_HOST"
}

cmd_stop() {
  if [ ! -f "$PIDFILE" ]; then
    log "no pid file at $PIDFILE: nothing started here"
    answers "$OWN_HOST" || unmount_leftovers
    return 0
  fi
  local pid
  pid="$(cat "$PIDFILE")"
  if ! kill -0 "$pid" 2>/dev/null; then log "dockerd (pid $pid) is not running"; rm -f "$PIDFILE"; return 0; fi
  log "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  local i=0
  while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 150 ]; then log "dockerd still running after 30s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; break; fi
    sleep 0.2
  done
  rm -f "$PIDFILE"
  unmount_leftovers
  log "stopped"
}

# dockerd leaves its default network-namespace mount (exec-root/netns/default) behind: unmount what
# is still mounted under our own directory, deepest first, so that the directory can be removed.
unmount_leftovers() {
  local mnt
  awk -v dir="$DIR/" 'index($2, dir) == 1 { print $2 }' /proc/self/mounts 2>/dev/null | sort -r |
    while read -r mnt; do
      umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || log "could not unmount $mnt"
    done
}

cmd_image() {
  local url="${1:-}"
  [ -n "$url" ] || url="$(find_engine)" || die "no engine answers: run '$0 start' first"
  local docker=(docker -H "$url")
  command -v docker >/dev/null 2>&1 || die "the docker CLI is missing (apt-get install docker.io)"
  if "${docker[@]}" image inspect "$IMAGE" >/dev/null 2>&1; then log "$IMAGE present"; return 0; fi
  [ -x /bin/busybox ] || cmd_install
  local root
  root="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$root'" RETURN
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/www" "$root/proc" "$root/sys" "$root/dev"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" -c . | "${docker[@]}" import \
    --change 'ENV PATH=/bin' --change 'CMD ["sh"]' \
    - "$IMAGE" >/dev/null
  log "built $IMAGE"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  image) cmd_image "${2:-}" ;;
  up) cmd_install; url="$(cmd_start)"; cmd_image "$url"; echo "$url" ;;
  status) find_engine || { log "no engine answers"; exit 1; } ;;
  *) echo "usage: $0 install|start|image|up|stop|status" >&2; exit 2 ;;
esac
