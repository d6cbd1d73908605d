import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** Where the API came from (stacks/envoy/NOTICE says more). */
export const envoyApiSource =
  'envoyproxy/data-plane-api@84e84367 (2026-01-29), with cncf/xds, protoc-gen-validate 1.3.0, opentelemetry-proto 1.9.0, client_model 0.6.2, cel-spec 0.25.1, googleapis';

const fileName = join('api', 'envoy-api.json.gz');

/** A scalar type, named as in .proto files. */
export type ScalarName =
  | 'double'
  | 'float'
  | 'int64'
  | 'uint64'
  | 'int32'
  | 'fixed64'
  | 'fixed32'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'uint32'
  | 'sfixed32'
  | 'sfixed64'
  | 'sint32'
  | 'sint64';

/** protoc-gen-validate's `validate.FieldRules` as JSON (`{"uint32": {"lte": 65535}}`). */
export type Rules = { readonly [key: string]: unknown };

/** What Envoy's API says of a deprecated field or enum value. */
export interface Deprecation {
  /** The sentence of Envoy's docs about it, e.g. 'Deprecated in favor of "access_log" ...'. */
  readonly note?: string;
  /** The field, message or value they name instead, by full name. */
  readonly use?: string;
  /** The API version it was deprecated in, e.g. '3.0'. */
  readonly since?: string;
  /** `disallowed_by_default`: Envoy refuses it unless a runtime override allows it. */
  readonly fatal?: boolean;
}

export interface FieldType {
  readonly name: string;
  readonly jsonName: string;
  /** The full name, e.g. `envoy.config.cluster.v3.Cluster.lb_policy`. */
  readonly fullName: string;
  /** Of one value: a list or map field's items. */
  readonly kind: 'scalar' | 'enum' | 'message';
  readonly scalar?: ScalarName;
  /** The enum's or message's full name. */
  readonly typeName?: string;
  readonly list: boolean;
  /** Set for a map field: its key type. */
  readonly mapKey?: ScalarName;
  readonly oneof?: OneofType;
  /** proto3 `optional`: unset is not the zero value. */
  readonly explicitPresence: boolean;
  readonly deprecation?: Deprecation;
  readonly workInProgress: boolean;
  readonly rules?: Rules;
}

export interface OneofType {
  readonly name: string;
  /** `(validate.required)`: one member must be set. */
  readonly required: boolean;
  readonly fields: readonly FieldType[];
}

export interface MessageType {
  readonly typeName: string;
  readonly fields: readonly FieldType[];
  readonly oneofs: readonly OneofType[];
  /** The field a JSON key names: its proto name or its JSON name. */
  field(key: string): FieldType | undefined;
  /** `(validate.disabled)` or `(validate.ignored)`: no rules inside it. */
  readonly rulesOff: boolean;
  readonly workInProgress: boolean;
  /** Only in Envoy's contrib images (envoyproxy/envoy-contrib). */
  readonly contrib: boolean;
  readonly deprecated: boolean;
}

export interface EnumValue {
  readonly name: string;
  readonly number: number;
  readonly deprecation?: Deprecation;
}

export interface EnumType {
  readonly typeName: string;
  readonly values: readonly EnumValue[];
  /** The value of that exact name. */
  value(name: string): EnumValue | undefined;
}

/** Envoy's v3 API as the checker reads it: types by full name, built on first use. */
export interface EnvoyApi {
  message(typeName: string): MessageType | undefined;
  enum(typeName: string): EnumType | undefined;
  readonly bootstrap: MessageType;
  /** Every message type, e.g. for a `typed_config`'s "did you mean". */
  readonly messageNames: readonly string[];
  /** Extension types (`envoy.extensions.*`), for listing and suggestions. */
  readonly extensionTypes: readonly string[];
}

/** The API file is missing or unreadable: an installation problem, not a user's. */
export class EnvoyApiUnavailableError extends Error {
  readonly code = 'INTERNAL';
  readonly hint =
    'Reinstall esteps; in a checkout, `npm run envoy:descriptors` regenerates stacks/envoy/api/envoy-api.json.gz.';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvoyApiUnavailableError';
  }
}

let loaded: EnvoyApi | undefined;

/**
 * Envoy's API, read once per process on first use (gunzip and JSON.parse of 450 kB: a few ms) so that
 * commands that check no Envoy configuration never pay for it.
 */
export function loadEnvoyApi(): EnvoyApi {
  loaded ??= readEnvoyApi(findApiFile());
  return loaded;
}

interface RawField {
  n: string;
  j?: string;
  t: string;
  r?: 1;
  k?: ScalarName;
  o?: number;
  p?: 1;
  d?: Deprecation & { fatal?: 1 };
  w?: 1;
  v?: Rules;
}
interface RawMessage {
  f: RawField[];
  o?: [string, 1?][];
  x?: 1;
  w?: 1;
  c?: 1;
  d?: 1;
}
interface RawEnum {
  v: [string, number, (Deprecation & { fatal?: 1 })?][];
}
interface RawApi {
  messages: Record<string, RawMessage>;
  enums: Record<string, RawEnum>;
}

/** Reads an API file written by scripts/envoy-api-schema.mjs. */
export function readEnvoyApi(path: string): EnvoyApi {
  let raw: RawApi;
  try {
    raw = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as RawApi;
  } catch (error) {
    throw new EnvoyApiUnavailableError(`Cannot read Envoy's API from ${path}.`, { cause: error });
  }
  const messages = new Map<string, MessageType>();
  const enums = new Map<string, EnumType>();
  const api: EnvoyApi = {
    message(typeName) {
      let built = messages.get(typeName);
      const source = raw.messages[typeName];
      if (!built && source) {
        built = buildMessage(typeName, source);
        messages.set(typeName, built);
      }
      return built;
    },
    enum(typeName) {
      let built = enums.get(typeName);
      const source = raw.enums[typeName];
      if (!built && source) {
        built = buildEnum(typeName, source);
        enums.set(typeName, built);
      }
      return built;
    },
    get bootstrap() {
      const desc = api.message('envoy.config.bootstrap.v3.Bootstrap');
      if (!desc) throw new EnvoyApiUnavailableError(`${path} lacks the bootstrap message.`);
      return desc;
    },
    messageNames: Object.keys(raw.messages),
    extensionTypes: Object.keys(raw.messages).filter((n) => n.startsWith('envoy.extensions.')),
  };
  return api;
}

function buildMessage(typeName: string, raw: RawMessage): MessageType {
  const oneofs: { name: string; required: boolean; fields: FieldType[] }[] = (raw.o ?? []).map(
    ([name, required]) => ({ name, required: required === 1, fields: [] }),
  );
  const fields = raw.f.map((f): FieldType => {
    const [prefix, rest] = f.t.startsWith('e:')
      ? ['enum', f.t.slice(2)]
      : f.t.startsWith('m:')
        ? ['message', f.t.slice(2)]
        : ['scalar', f.t];
    const oneof = f.o === undefined ? undefined : oneofs[f.o];
    const field: FieldType = {
      name: f.n,
      jsonName: f.j ?? lowerCamel(f.n),
      fullName: `${typeName}.${f.n}`,
      kind: prefix as FieldType['kind'],
      ...(prefix === 'scalar' ? { scalar: rest as ScalarName } : { typeName: rest }),
      list: f.r === 1,
      ...(f.k && { mapKey: f.k }),
      ...(oneof && { oneof }),
      explicitPresence: f.p === 1,
      ...(f.d && { deprecation: { ...f.d, fatal: f.d.fatal === 1 } }),
      workInProgress: f.w === 1,
      ...(f.v && { rules: f.v }),
    };
    oneof?.fields.push(field);
    return field;
  });
  const byKey = new Map<string, FieldType>();
  for (const field of fields) {
    byKey.set(field.name, field);
    byKey.set(field.jsonName, field);
  }
  return {
    typeName,
    fields,
    oneofs,
    field: (key) => byKey.get(key),
    rulesOff: raw.x === 1,
    workInProgress: raw.w === 1,
    contrib: raw.c === 1,
    deprecated: raw.d === 1,
  };
}

function buildEnum(typeName: string, raw: RawEnum): EnumType {
  const values: EnumValue[] = raw.v.map(([name, number, d]) => ({
    name,
    number,
    ...(d && { deprecation: { ...d, fatal: d.fatal === 1 } }),
  }));
  const byName = new Map(values.map((v) => [v.name, v]));
  return { typeName, values, value: (name) => byName.get(name) };
}

const lowerCamel = (name: string) =>
  name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * The API file sits in the sources at stacks/envoy/api/, and under the package root's
 * stacks/envoy/api/ when this code runs compiled (dist/stacks/envoy/) or bundled
 * (dist/esteps.js, dist/chunks/): look upwards for either.
 */
function findApiFile(): string {
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
