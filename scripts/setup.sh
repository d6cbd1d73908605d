#!/usr/bin/env bash
# `npm run setup`: leaves this machine ready for `esteps up` and the tests. Idempotent.
#   1. a Docker engine that answers (scripts/engine.sh);
#   2. every image the stacks use, or honestly named stand-ins (scripts/prepare-images.ts);
#   3. `esteps` on PATH (scripts/link-cli.sh: npm link).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/engine.sh
if [ ! -f dist/scripts/prepare-images.js ]; then
  npm run -s build
fi
node dist/scripts/prepare-images.js
bash scripts/link-cli.sh
