#!/usr/bin/env bash
# `npm run envoy:descriptors`: regenerates stacks/envoy/api/envoy-api.json.gz, Envoy's v3 API as
# the checker reads it (stacks/envoy/envoy-api.ts): every message and enum of the bootstrap,
# of `envoy.config.*` and of every `envoy.extensions.*` type Envoy ships (contrib included),
# with the API's validation rules and deprecations. Run it only to move to another copy of the
# API; the output is committed, so neither the CLI nor CI needs buf or the .proto files.
#
# Where the .proto files come from, pinned (stacks/envoy/NOTICE says the same: keep the two in
# step). Envoy's data-plane-api is the read-only mirror of envoyproxy/envoy's api/ folder; the
# others are the versions its bazel/repository_locations.bzl pins (cncf/xds: its newest commit,
# that one not being in the archive we had).
#   envoyproxy/data-plane-api        84e84367f2560cdb47b9bb78fd3e615feb80c3e4 (2026-01-29)
#   cncf/xds                         5cf4b19495289a9e992ce5e2c3ffb08f2cf387be (2025-10-31)
#   bufbuild/protoc-gen-validate     v1.3.0
#   open-telemetry/opentelemetry-proto v1.9.0
#   prometheus/client_model          v0.6.2
#   google/cel-spec                  v0.25.1
#   googleapis (google/api, google/rpc): the copy vendored in @grpc/grpc-js-xds@1.14.1
#
# ENVOY_API_SOURCES=DIR uses checkouts already on this machine (DIR/data-plane-api, DIR/xds,
# DIR/protoc-gen-validate, DIR/opentelemetry-proto, DIR/client_model, DIR/cel-spec, each at the
# version above); without it the script downloads those versions' archives from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."

out=stacks/envoy/api/envoy-api.json.gz
xds_package='@grpc/grpc-js-xds@1.14.1'
declare -A pins=(
  [data-plane-api]='envoyproxy/data-plane-api 84e84367f2560cdb47b9bb78fd3e615feb80c3e4'
  [xds]='cncf/xds 5cf4b19495289a9e992ce5e2c3ffb08f2cf387be'
  [protoc-gen-validate]='bufbuild/protoc-gen-validate v1.3.0'
  [opentelemetry-proto]='open-telemetry/opentelemetry-proto v1.9.0'
  [client_model]='prometheus/client_model v0.6.2'
  [cel-spec]='google/cel-spec v0.25.1'
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sources=${ENVOY_API_SOURCES:-$work/sources}
if [[ -z ${ENVOY_API_SOURCES:-} ]]; then
  mkdir -p "$sources"
  for name in "${!pins[@]}"; do
    read -r repo ref <<<"${pins[$name]}"
    mkdir -p "$sources/$name"
    curl -fsSL "https://github.com/$repo/archive/$ref.tar.gz" |
      tar -xz -C "$sources/$name" --strip-components=1
  done
fi

src="$work/proto"
mkdir -p "$src"
cp -r "$sources/data-plane-api/envoy" "$sources/data-plane-api/contrib" "$src/"
cp -r "$sources/xds/xds" "$sources/xds/udpa" "$src/"
mkdir -p "$src/validate" && cp "$sources/protoc-gen-validate/validate/validate.proto" "$src/validate/"
cp -r "$sources/opentelemetry-proto/opentelemetry" "$src/"
cp -r "$sources/client_model/io" "$src/"
cp -r "$sources/cel-spec/proto/cel" "$src/"
(cd "$work" && npm pack --silent "$xds_package" >/dev/null && tar xzf ./*.tgz)
cp -r "$work/package/deps/googleapis/google" "$src/"
find "$src" -type f ! -name '*.proto' -delete

# Every v3 (and v3alpha) file of Envoy's API but the gRPC services, and every file they import;
# the discovery messages too, for xDS resource files (DiscoveryResponse), and the TypedStruct
# that any `typed_config` may hold instead of its type's own fields.
printf 'version: v2\n' >"$src/buf.yaml"
paths=()
for file in envoy/service/discovery/v3/discovery.proto udpa/type/v1/typed_struct.proto \
  xds/type/v3/typed_struct.proto; do
  paths+=(--path "$src/$file")
done
while IFS= read -r file; do paths+=(--path "$src/$file"); done < <(
  cd "$src" && find envoy contrib -name '*.proto' | grep -E '/v3(alpha)?/|^envoy/annotations/' |
    grep -v -E '^envoy/(service|admin)/' | sort
)
node_modules/.bin/buf build "$src" "${paths[@]}" -o "$work/envoy-api.binpb"
node scripts/envoy-api-schema.mjs "$work/envoy-api.binpb" "$out"
