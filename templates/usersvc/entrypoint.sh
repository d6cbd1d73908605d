#!/bin/sh
# Starts the user service's supervisor as the container's main process (exec: it gets
# SIGTERM from `docker stop` and drains). Later steps start Envoy here first.
set -eu
exec /usr/local/bin/node /app/supervisor.js
