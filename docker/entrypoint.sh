#!/usr/bin/env bash
# Container entrypoint of the planmap image (also runnable from a checkout).
#
# 1. With DATABASE_URL: wait until that database accepts connections (a PostGIS container
#    that is still initialising refuses them, or answers "the database system is starting up"),
#    for at most DATABASE_WAIT_SECONDS (default 60). Give up with exit code 69 (EX_UNAVAILABLE).
#    Without DATABASE_URL the server runs on its embedded database: nothing to wait for.
# 2. exec the command (default: the server). The server applies migrations itself before it
#    listens, under an advisory lock, so several replicas starting at once are safe; exec keeps
#    the server as the process that receives SIGTERM, for its graceful shutdown.
set -euo pipefail

app_dir="${PLANMAP_APP_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
wait_seconds="${DATABASE_WAIT_SECONDS:-60}"

log() {
  printf '[entrypoint] %s\n' "$*" >&2
}

if ! [[ "$wait_seconds" =~ ^[0-9]+$ ]]; then
  log "DATABASE_WAIT_SECONDS must be a whole number of seconds, not \"$wait_seconds\""
  exit 64
fi

if [[ $# -eq 0 ]]; then
  set -- node "$app_dir/dist/server/main.js"
fi

if [[ -n "${DATABASE_URL:-}" ]]; then
  node "$app_dir/docker/wait-for-database.mjs" "$wait_seconds"
else
  log "no DATABASE_URL: the server uses its embedded database (EMBEDDED_DATA_DIR, default $app_dir/.data/embedded)"
fi

exec "$@"
