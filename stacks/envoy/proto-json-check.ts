import { closest } from '../validate/suggest.js';
import type { EnumType, EnvoyApi, FieldType, MessageType, ScalarName } from './envoy-api.js';
import {
  childPath,
  describeValue,
  type EnvoyProblem,
  indexPath,
  isObject,
  keyPath,
  warning,
} from './envoy-paths.js';
import { checkFieldRules, skipsMessage } from './pgv-rules.js';
import type { ProtoChecker } from './proto-checker.js';
import { type DeprecationPolicy, deprecationProblem } from './proto-deprecation.js';
import { checkScalar, parseInteger } from './proto-scalars.js';
import { typeChecks } from './proto-type-checks.js';
import { WellKnownTypes } from './proto-well-known.js';

/**
 * Decodes plain JSON against a message type of Envoy's API as Envoy reads its configuration
 * (protobuf's JSON parser with case-insensitive enum names, then the API's validation rules
 * and Envoy's own walk over the result): unknown keys, wrong types, unknown enum names,
 * malformed or negative durations, two members of one oneof are errors; deprecated fields and
 * values, work in progress and contrib extensions are warnings, as Envoy logs them. It looks
 * inside every `google.protobuf.Any` (and TypedStruct) through the API, and gathers every
 * problem instead of stopping at the first.
 */
export class ProtoJsonChecker implements ProtoChecker {
  readonly problems: EnvoyProblem[] = [];
  /**
   * Where values of some types sit (config sources, gRPC services), for the checks across the
   * configuration: by type name, each value with its path.
   */
  readonly found = new Map<string, { value: Record<string, unknown>; path: string }[]>();
  private readonly wellKnown: WellKnownTypes;

  constructor(
    readonly api: EnvoyApi,
    readonly deprecations: DeprecationPolicy = { allowed: new Set() },
  ) {
    this.wellKnown = new WellKnownTypes(this);
  }

  /** Checks `value` as a `desc`; true when that added no error. */
  message(desc: MessageType, value: unknown, path: string, validate: boolean): boolean {
    const before = this.errorCount();
    const special = this.wellKnown.check(desc.typeName, value, path, validate);
    if (special === undefined) {
      if (isObject(value)) this.fields(desc, value, path, validate, new Set());
      else this.error(path, `expected an object (${desc.typeName}), got ${describeValue(value)}`);
    }
    return this.errorCount() === before;
  }

  error(path: string, message: string, suggestion?: string): void {
    this.problems.push({ path, message, ...(suggestion !== undefined && { suggestion }) });
  }

  warn(path: string, message: string, suggestion?: string): void {
    this.problems.push(warning(path, message, suggestion));
  }

  errorCount(): number {
    return this.problems.filter((p) => p.severity !== 'warning').length;
  }

  /** The fields of an object as `desc`, `ignoredKeys` aside (an Any's "@type"). */
  fields(
    desc: MessageType,
    object: Record<string, unknown>,
    path: string,
    validate: boolean,
    ignoredKeys: ReadonlySet<string>,
  ): void {
    const rulesOn = validate && !desc.rulesOff;
    const keyOf = this.keys(desc, object, path, ignoredKeys);
    const isSet = (field: FieldType) => {
      const key = keyOf.get(field);
      return key !== undefined && !isNull(field, object[key]);
    };
    this.oneofs(desc, object, path, rulesOn, keyOf, isSet);
    for (const field of desc.fields) {
      const key = keyOf.get(field);
      const fieldPath = childPath(path, key ?? field.name);
      let typeOk = true;
      if (isSet(field)) {
        const value = object[key!];
        const problem = deprecationProblem(field, fieldPath, this.deprecations);
        if (problem) this.problems.push(problem);
        if (field.workInProgress) this.warn(fieldPath, workInProgress(`${field.fullName}`));
        typeOk = this.fieldValue(field, value, fieldPath, rulesOn && !skipsMessage(field.rules));
      } else if (field.kind === 'enum' && !field.list && !field.mapKey && !field.oneof) {
        this.defaultEnum(field, fieldPath);
      }
      if (rulesOn && field.rules && typeOk) {
        const value = isSet(field) ? object[key!] : undefined;
        for (const rule of checkFieldRules(this.api, field, field.rules, value)) {
          this.error(rule.at === undefined ? fieldPath : `${fieldPath}${rule.at}`, rule.message);
        }
      }
    }
    const check = typeChecks[desc.typeName];
    if (check) check(this, object, path);
  }

  /** Remembers a value of `typeName` for the checks across the configuration. */
  remember(typeName: string, value: Record<string, unknown>, path: string): void {
    const list = this.found.get(typeName) ?? [];
    list.push({ value, path });
    this.found.set(typeName, list);
  }

  /** Which key names which field; unknown keys and a field named twice are errors. */
  private keys(
    desc: MessageType,
    object: Record<string, unknown>,
    path: string,
    ignoredKeys: ReadonlySet<string>,
  ): Map<FieldType, string> {
    const keyOf = new Map<FieldType, string>();
    for (const key of Object.keys(object)) {
      if (ignoredKeys.has(key)) continue;
      const field = desc.field(key);
      if (!field) {
        const names = desc.fields.map((f) => f.name);
        const merge = key === '<<' ? ": Envoy's YAML reader (yaml-cpp) has no merge keys" : '';
        const guess = closest(key, names);
        this.error(
          childPath(path, key),
          `unknown field of ${desc.typeName}${merge}${guess ? `; did you mean "${guess}"?` : ''}`,
          guess,
        );
      } else if (keyOf.has(field)) {
        // Protobuf's parser (in the legacy mode Envoy gets) takes a field twice, the last
        // value winning, unless it is a member of a oneof.
        const message = `"${keyOf.get(field)}" and "${key}" are the same field`;
        if (field.oneof) this.error(childPath(path, key), message);
        else this.warn(childPath(path, key), `${message}: Envoy keeps the last one`);
        keyOf.set(field, key);
      } else {
        keyOf.set(field, key);
      }
    }
    return keyOf;
  }

  private oneofs(
    desc: MessageType,
    object: Record<string, unknown>,
    path: string,
    rulesOn: boolean,
    keyOf: ReadonlyMap<FieldType, string>,
    isSet: (field: FieldType) => boolean,
  ): void {
    const keys = Object.keys(object);
    for (const oneof of desc.oneofs) {
      // In the order they are written: the second one written is the one reported.
      const set = oneof.fields
        .filter(isSet)
        .sort((a, b) => keys.indexOf(keyOf.get(a)!) - keys.indexOf(keyOf.get(b)!));
      if (set.length > 1) {
        this.error(
          childPath(path, keyOf.get(set[1]!)!),
          `only one of ${set.map((f) => f.name).join(', ')} may be set (they are the oneof ${oneof.name})`,
        );
      } else if (set.length === 0 && rulesOn && oneof.required) {
        this.error(path, `needs one of ${oneof.fields.map((f) => f.name).join(', ')}`);
      }
    }
  }

  /**
   * Envoy also warns of an enum field left unset when its default value is deprecated ("Using
   * the default now-deprecated value"), and refuses it when that value is disallowed.
   */
  private defaultEnum(field: FieldType, path: string): void {
    const first = this.api.enum(field.typeName!)?.values.find((v) => v.number === 0);
    if (!first?.deprecation) return;
    const problem = deprecationProblem(
      { ...field, deprecation: first.deprecation, fullName: `${field.typeName}.${first.name}` },
      path,
      this.deprecations,
      `is not set, and its default ${first.name} is deprecated: set it`,
    );
    if (problem) this.problems.push(problem);
  }

  private fieldValue(field: FieldType, value: unknown, path: string, validate: boolean): boolean {
    if (field.mapKey) {
      if (!isObject(value)) {
        this.error(path, `expected an object (a map), got ${describeValue(value)}`);
        return false;
      }
      let ok = true;
      for (const [key, item] of Object.entries(value)) {
        const itemPath = keyPath(path, key);
        ok = this.mapKey(field.mapKey, key, itemPath) && ok;
        ok = this.one(field, item, itemPath, validate) && ok;
      }
      return ok;
    }
    if (field.list) {
      // Protobuf's JSON parser reads one value where a list belongs as a list of that one
      // (Envoy's examples rely on it: `filters:` given one filter). A scalar stays an error
      // where it is not of the item type.
      if (!Array.isArray(value)) return this.one(field, value, path, validate);
      let ok = true;
      value.forEach((item, i) => {
        const itemPath = indexPath(path, i);
        const dynamic =
          field.typeName === 'google.protobuf.Value' ||
          field.typeName === 'google.protobuf.ListValue';
        // Legacy mode again: a null item is the type's default, a list in the list is flattened.
        if (item === null && !dynamic) return;
        if (Array.isArray(item) && !dynamic) {
          ok = this.fieldValue(field, item, itemPath, validate) && ok;
          return;
        }
        ok = this.one(field, item, itemPath, validate) && ok;
      });
      return ok;
    }
    return this.one(field, value, path, validate);
  }

  /** One value of the field's type (the field itself, or an item of its list or map). */
  private one(field: FieldType, value: unknown, path: string, validate: boolean): boolean {
    if (field.kind === 'scalar') return this.scalar(field.scalar!, value, path);
    if (field.kind === 'enum') return this.enumValue(field, value, path);
    const desc = this.api.message(field.typeName!);
    if (!desc) return true;
    return this.message(desc, value, path, validate);
  }

  private mapKey(type: ScalarName, key: string, path: string): boolean {
    if (type === 'string') return true;
    if (
      type === 'bool' ? key === 'true' || key === 'false' : parseInteger(type, key) !== undefined
    ) {
      return true;
    }
    this.error(path, `expected a key of type ${type}, got ${JSON.stringify(key)}`);
    return false;
  }

  scalar(type: ScalarName, value: unknown, path: string): boolean {
    const error = checkScalar(type, value);
    if (error !== undefined) this.error(path, error);
    return error === undefined;
  }

  /** A name, in any case (Envoy parses enum names case-insensitively), or a number. */
  private enumValue(field: FieldType, value: unknown, path: string): boolean {
    const desc = this.api.enum(field.typeName!);
    if (!desc) return true;
    if (typeof value === 'string' && /^-?\d+$/.test(value) && Math.abs(Number(value)) < 2 ** 31) {
      return true;
    }
    if (typeof value === 'string') return this.enumName(desc, value, path);
    if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 2 ** 31) {
      return true;
    }
    this.error(path, `expected a value of ${desc.typeName} (a name), got ${describeValue(value)}`);
    return false;
  }

  private enumName(desc: EnumType, value: string, path: string): boolean {
    const known = desc.value(value) ?? desc.value(value.toUpperCase());
    if (!known) {
      const names = desc.values.map((v) => v.name);
      const list = names.length <= 10 ? ` (${names.join(', ')})` : '';
      const guess = closest(value.toUpperCase(), names);
      this.error(
        path,
        `${JSON.stringify(value)} is not a value of ${desc.typeName}${guess ? `; did you mean "${guess}"?` : list}`,
        guess,
      );
      return false;
    }
    if (!known.deprecation) return true;
    const problem = deprecationProblem(
      { deprecation: known.deprecation, fullName: `${desc.typeName}.${known.name}` },
      path,
      this.deprecations,
      `${known.name} is deprecated`,
    );
    if (problem) this.problems.push(problem);
    return true;
  }
}

/** Envoy's words for what it warns of when a configuration uses work in progress. */
export function workInProgress(name: string): string {
  return `${name} is work in progress in Envoy's API: not stable, not covered by Envoy's threat model, and may change without notice (Envoy logs a warning)`;
}

/** proto3 JSON reads null as "not set", except where the type is google.protobuf.Value. */
function isNull(field: FieldType, value: unknown): boolean {
  if (value !== null) return false;
  return !(field.kind === 'message' && field.typeName === 'google.protobuf.Value');
}
