#!/bin/bash
# Step 4's user-service container: Envoy (the service's way to Postgres, on 127.0.0.1) and the
# user service's supervisor, side by side. Whichever ends first ends the container, and its
# restart policy brings both back: a service without its Envoy cannot reach its database.
# On `docker stop` (SIGTERM) the service drains first, while Envoy still carries its queries,
# then Envoy stops. bash, which the official Envoy images have, for `wait -n`.
set -u

# One worker thread is plenty for one service's connections; no hot restart, so Envoy needs
# no shared memory (the root filesystem is read-only).
envoy --config-path "$ENVOY_CONFIG" --disable-hot-restart --concurrency 1 --log-level warn &
envoy_pid=$!
/usr/local/bin/node /app/supervisor.js &
service_pid=$!

stop() {
  kill -TERM "$service_pid" 2>/dev/null
  wait "$service_pid" 2>/dev/null
  kill -TERM "$envoy_pid" 2>/dev/null
  wait "$envoy_pid" 2>/dev/null
}
trap 'stop; exit 143' TERM INT

wait -n
status=$?
stop
exit "$status"
