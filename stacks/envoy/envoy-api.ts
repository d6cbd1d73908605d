import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createFileRegistry,
  type DescExtension,
  type DescMessage,
  type FileRegistry,
  fromBinary,
} from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';

/** Where the compiled API came from (stacks/envoy/NOTICE says more). */
export const envoyApiSource = '@grpc/grpc-js-xds@1.14.1 (deps/envoy-api, deps/xds)';

const fileName = 'envoy-api.binpb';

/**
 * Envoy's v3 API as esteps checks configurations against it: every message the bootstrap
 * needs, every `typed_config` type esteps writes, and the protoc-gen-validate options that
 * carry the API's validation rules.
 */
export interface EnvoyApi {
  readonly registry: FileRegistry;
  readonly bootstrap: DescMessage;
  /** `(validate.rules)` on a field. */
  readonly fieldRules: DescExtension;
  /** `(validate.required)` on a oneof. */
  readonly oneofRequired: DescExtension;
  /** `(validate.disabled)` and `(validate.ignored)` on a message: no rules inside it. */
  readonly messageDisabled: readonly DescExtension[];
  /** Message types a `typed_config` may name, for "did you mean" and listing. */
  readonly anyTypes: readonly string[];
}

/** The descriptor set is missing or unreadable: an installation problem, not a user's. */
export class EnvoyApiUnavailableError extends Error {
  readonly code = 'INTERNAL';
  readonly hint =
    'Reinstall esteps; in a checkout, `npm run envoy:descriptors` regenerates stacks/envoy/envoy-api.binpb.';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvoyApiUnavailableError';
  }
}

let loaded: EnvoyApi | undefined;

/**
 * Envoy's API, read once per process on first use (about 30 ms) so that commands for stacks
 * without an edge never pay for it.
 */
export function loadEnvoyApi(): EnvoyApi {
  loaded ??= readEnvoyApi(findDescriptorSet());
  return loaded;
}

/** Reads a descriptor set written by scripts/envoy-descriptors.sh. */
export function readEnvoyApi(path: string): EnvoyApi {
  let registry: FileRegistry;
  try {
    registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(path)));
  } catch (error) {
    throw new EnvoyApiUnavailableError(`Cannot read Envoy's API from ${path}.`, { cause: error });
  }
  const message = (name: string) => {
    const desc = registry.getMessage(name);
    if (!desc) throw new EnvoyApiUnavailableError(`${path} lacks the message ${name}.`);
    return desc;
  };
  const extension = (name: string) => {
    const desc = registry.getExtension(name);
    if (!desc) throw new EnvoyApiUnavailableError(`${path} lacks the option ${name}.`);
    return desc;
  };
  const anyTypes: string[] = [];
  for (const file of registry.files) {
    if (!file.name.startsWith('envoy/extensions/')) continue;
    for (const desc of file.messages) anyTypes.push(desc.typeName);
  }
  return {
    registry,
    bootstrap: message('envoy.config.bootstrap.v3.Bootstrap'),
    fieldRules: extension('validate.rules'),
    oneofRequired: extension('validate.required'),
    // `validate.ignored` came after the validate.proto vendored here; take it where it exists.
    messageDisabled: [
      extension('validate.disabled'),
      registry.getExtension('validate.ignored'),
    ].filter((ext) => ext !== undefined),
    anyTypes: anyTypes.sort(),
  };
}

/**
 * The descriptor set sits beside this file in the sources (stacks/envoy/), and under the
 * package root's stacks/envoy/ when this code runs compiled (dist/stacks/envoy/) or bundled
 * (dist/esteps.js): look upwards for either.
 */
function findDescriptorSet(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    for (const candidate of [join(dir, fileName), join(dir, 'stacks', 'envoy', fileName)]) {
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new EnvoyApiUnavailableError(
    `Cannot find ${fileName} near ${fileURLToPath(import.meta.url)}.`,
  );
}
