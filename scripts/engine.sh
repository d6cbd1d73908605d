#!/usr/bin/env bash
# Makes sure a Docker engine answers. Idempotent: does nothing when one already answers.
# - DOCKER_HOST set: that engine must answer; we never install anything for a remote engine.
# - Otherwise the default socket; when nothing answers there and this is a Debian-like machine
#   where we are root, install Debian's docker.io if missing and start dockerd in the
#   background, then wait for it (bounded).
set -euo pipefail

log() { printf 'setup: %s\n' "$*" >&2; }
fail() { printf 'setup: error: %s\n' "$1" >&2; [ -n "${2:-}" ] && printf 'setup: next step: %s\n' "$2" >&2; exit 1; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

if ! command -v docker >/dev/null 2>&1 && [ -n "${DOCKER_HOST:-}" ]; then
  fail "the docker client is missing, so DOCKER_HOST=${DOCKER_HOST} cannot be checked" \
    "install the docker client (apt-get install docker.io) and rerun npm run setup"
fi

if command -v docker >/dev/null 2>&1 && engine_answers; then
  log "Docker engine answers ($(docker version --format '{{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))"
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ]; then
  fail "no Docker engine answers at DOCKER_HOST=${DOCKER_HOST}" \
    "start the engine there, or unset DOCKER_HOST to use (and, as root on Debian, install) a local one"
fi

# A docker context chooses the engine as DOCKER_HOST does (DOCKER_CONTEXT, else the current
# context of the docker CLI's config.json): that engine must answer; none is installed here.
config="${DOCKER_CONFIG:-$HOME/.docker}/config.json"
context="${DOCKER_CONTEXT:-}"
if [ -z "$context" ] && [ -f "$config" ]; then
  context="$(sed -n 's/.*"currentContext"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$config" | head -n 1)"
fi
if [ -n "$context" ] && [ "$context" != default ]; then
  fail "no Docker engine answers for the docker context \"$context\" (${DOCKER_CONTEXT:+DOCKER_CONTEXT}${DOCKER_CONTEXT:-currentContext in $config})" \
    "start that context's engine (docker context inspect $context), or switch to the local one: docker context use default"
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  fail "no Docker engine answers at /var/run/docker.sock, and this machine is not one where setup may install one (needs root and apt-get)" \
    "install Docker Engine (https://docs.docker.com/engine/install/), start it, make sure 'docker info' works, then rerun npm run setup"
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing Debian's docker.io (about 15 s)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null \
    || fail "apt-get could not install docker.io" "check that Debian's archive is reachable (apt-get update), then rerun npm run setup"
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  log "starting dockerd in the background (log: /var/log/dockerd.log)"
  # A dockerd started by hand leaves a stale pid file behind when the machine is handed over.
  rm -f /var/run/docker.pid
  setsid dockerd >/var/log/dockerd.log 2>&1 </dev/null &
fi

for _ in $(seq 1 60); do
  if engine_answers; then
    log "Docker engine answers ($(docker version --format '{{.Server.Version}}, API {{.Server.APIVersion}}'))"
    exit 0
  fi
  sleep 0.5
done
tail -n 20 /var/log/dockerd.log >&2 || true
fail "dockerd did not answer within 30 s (its log is above)" "read /var/log/dockerd.log, fix what it says, then rerun npm run setup"
