#!/usr/bin/env bash
# `npm run envoy:descriptors`: regenerates stacks/envoy/envoy-api.binpb, the compiled Envoy v3
# API that stacks/envoy/check-envoy.ts decodes every generated Envoy configuration against.
# Run it only to move to another copy of the API; the output is committed, so neither the
# CLI nor CI needs buf or the .proto files.
#
# Where the .proto files come from: the npm package @grpc/grpc-js-xds, which vendors Envoy's
# data-plane API (deps/envoy-api), cncf/xds (deps/xds), googleapis (deps/googleapis) and
# protoc-gen-validate (deps/protoc-gen-validate), all Apache-2.0. stacks/envoy/NOTICE says the
# same, with the version: keep the two in step.
set -euo pipefail
cd "$(dirname "$0")/.."

package='@grpc/grpc-js-xds@1.14.1'
out=stacks/envoy/envoy-api.binpb

# The Envoy messages esteps writes: the bootstrap (and everything it imports), plus every type
# esteps puts in a `typed_config` (an Any, resolved by type URL, so nothing imports them).
roots=(
  envoy/config/bootstrap/v3/bootstrap.proto
  envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto
  envoy/extensions/filters/http/router/v3/router.proto
  envoy/extensions/access_loggers/stream/v3/stream.proto
  envoy/extensions/access_loggers/file/v3/file.proto
  envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto
  envoy/extensions/upstreams/http/v3/http_protocol_options.proto
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "$package" >/dev/null && tar xzf ./*.tgz)
deps="$work/package/deps"
src="$work/proto"
mkdir -p "$src"
cp -r "$deps/envoy-api/envoy" "$deps/xds/xds" "$deps/xds/udpa" "$deps/protoc-gen-validate/validate" \
  "$deps/googleapis/google" "$src/"

# The validate.proto vendored there predates StringRules.ignore_empty, which Envoy's API uses
# (`(validate.rules).string = {... ignore_empty: true}`): add it with protoc-gen-validate's own
# field number, or buf refuses those options.
validate="$src/validate/validate.proto"
if ! grep -q 'ignore_empty' "$validate"; then
  sed -i 's|^\(  *\)optional bool strict = 25 \[default = true\];|&\n\n\1// IgnoreEmpty specifies that the validation rules of this field should be\n\1// evaluated only if the field is not empty\n\1optional bool ignore_empty = 26;|' "$validate"
  grep -q 'optional bool ignore_empty = 26;' "$validate" || {
    echo "could not add StringRules.ignore_empty to $validate" >&2
    exit 1
  }
fi

printf 'version: v2\n' >"$src/buf.yaml"
paths=()
for root in "${roots[@]}"; do paths+=(--path "$src/$root"); done
node_modules/.bin/buf build "$src" "${paths[@]}" --exclude-source-info -o "$out"
echo "wrote $out ($(wc -c <"$out") bytes) from $package"
