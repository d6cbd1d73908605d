#!/usr/bin/env bash
# Puts `esteps` on PATH: links this checkout as the global esteps package (npm link), so that
# `esteps ...` runs the CLI from anywhere and a stack folder of the user's own gets the types
# with `npm link esteps`. Idempotent; where npm may not write its global prefix, it prints the
# one line that does instead of failing the set-up.
set -uo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }
here=$(pwd -P)
prefix=$(npm prefix -g 2>/dev/null)
linked=$(readlink -f "$prefix/lib/node_modules/esteps" 2>/dev/null || true)

if [ "$linked" = "$here" ] && command -v esteps >/dev/null 2>&1; then
  log "esteps is on PATH ($(command -v esteps) -> this checkout)"
  exit 0
fi
if npm link --ignore-scripts --no-audit --no-fund >/dev/null 2>&1; then
  log "esteps is on PATH now ($prefix/bin/esteps -> this checkout; npm link)"
  if ! command -v esteps >/dev/null 2>&1; then
    log "note: $prefix/bin is not on your PATH; add it: export PATH=\"$prefix/bin:\$PATH\""
  fi
else
  log "could not link esteps into $prefix (npm link failed: no write access?); run this once:"
  log "  npm link --prefix \"\$HOME/.local\" && export PATH=\"\$HOME/.local/bin:\$PATH\""
  log "or keep using: npx esteps ..."
fi
exit 0
