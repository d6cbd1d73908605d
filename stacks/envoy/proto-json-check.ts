import {
  type DescEnum,
  type DescField,
  type DescMessage,
  getOption,
  hasOption,
  ScalarType,
} from '@bufbuild/protobuf';
import { didYouMean } from '../validate/suggest.js';
import type { EnvoyApi } from './envoy-api.js';
import {
  childPath,
  describeValue,
  type EnvoyProblem,
  indexPath,
  isObject,
  keyPath,
} from './envoy-paths.js';
import { checkFieldRules, fieldRulesOf, skipsMessage } from './pgv-rules.js';
import {
  checkScalar,
  parseDuration,
  parseInteger,
  scalarName,
  wrapperTypes,
} from './proto-scalars.js';

/**
 * Decodes plain JSON against a message type of Envoy's API as proto3's JSON mapping does
 * (what Envoy does with its YAML), strictly: unknown keys, wrong types, unknown enum names,
 * malformed durations, two members of one oneof. It checks the API's validation rules
 * (protoc-gen-validate) on the way, and looks inside every `google.protobuf.Any` through the
 * API's registry. It gathers every problem instead of stopping at the first.
 */
export class ProtoJsonChecker {
  readonly problems: EnvoyProblem[] = [];

  constructor(private readonly api: EnvoyApi) {}

  /** Checks `value` as a `desc`; true when that added no problem. */
  message(desc: DescMessage, value: unknown, path: string, validate: boolean): boolean {
    const before = this.problems.length;
    const special = this.wellKnown(desc, value, path, validate);
    if (special === undefined) {
      if (isObject(value)) this.fields(desc, value, path, validate, new Set());
      else this.problem(path, `expected an object (${desc.typeName}), got ${describeValue(value)}`);
    }
    return this.problems.length === before;
  }

  private problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  private fields(
    desc: DescMessage,
    object: Record<string, unknown>,
    path: string,
    validate: boolean,
    ignoredKeys: ReadonlySet<string>,
  ): void {
    const rulesOn =
      validate &&
      !this.api.messageDisabled.some((ext) => hasOption(desc, ext) && getOption(desc, ext));
    const keyOf = new Map<DescField, string>();
    for (const key of Object.keys(object)) {
      if (ignoredKeys.has(key)) continue;
      const field = desc.fields.find((f) => f.name === key || f.jsonName === key);
      if (!field) {
        this.problem(
          childPath(path, key),
          `unknown field of ${desc.typeName}${didYouMean(
            key,
            desc.fields.map((f) => f.name),
          )}`,
        );
      } else if (keyOf.has(field)) {
        this.problem(childPath(path, key), `"${keyOf.get(field)}" and "${key}" are the same field`);
      } else {
        keyOf.set(field, key);
      }
    }
    const isSet = (field: DescField) => {
      const key = keyOf.get(field);
      return key !== undefined && !isNull(field, object[key]);
    };
    for (const oneof of desc.oneofs) {
      // In the order they are written: the second one written is the one reported.
      const keys = Object.keys(object);
      const set = oneof.fields
        .filter(isSet)
        .sort((a, b) => keys.indexOf(keyOf.get(a)!) - keys.indexOf(keyOf.get(b)!));
      const names = oneof.fields.map((f) => f.name);
      if (set.length > 1) {
        this.problem(
          childPath(path, keyOf.get(set[1]!)!),
          `only one of ${set.map((f) => f.name).join(', ')} may be set (they are the oneof ${oneof.name})`,
        );
      } else if (
        set.length === 0 &&
        rulesOn &&
        hasOption(oneof, this.api.oneofRequired) &&
        getOption(oneof, this.api.oneofRequired)
      ) {
        this.problem(path, `needs one of ${names.join(', ')}`);
      }
    }
    for (const field of desc.fields) {
      const key = keyOf.get(field);
      const fieldPath = childPath(path, key ?? field.name);
      const rules = rulesOn ? fieldRulesOf(this.api, field) : undefined;
      let typeOk = true;
      if (isSet(field)) {
        if (field.deprecated) {
          this.problem(fieldPath, `is deprecated in Envoy's API (${desc.typeName})`);
        }
        const validateInside = rulesOn && !skipsMessage(rules);
        typeOk = this.fieldValue(field, object[key!], fieldPath, validateInside);
      }
      if (rules && typeOk) {
        const value = isSet(field) ? object[key!] : undefined;
        for (const message of checkFieldRules(field, rules, value)) {
          this.problem(
            message.at === undefined ? fieldPath : `${fieldPath}${message.at}`,
            message.message,
          );
        }
      }
    }
  }

  private fieldValue(field: DescField, value: unknown, path: string, validate: boolean): boolean {
    switch (field.fieldKind) {
      case 'scalar':
        return this.scalar(field.scalar, value, path);
      case 'enum':
        return this.enumValue(field.enum, value, path);
      case 'message':
        return this.message(field.message, value, path, validate);
      case 'list': {
        if (!Array.isArray(value)) {
          this.problem(path, `expected a list, got ${describeValue(value)}`);
          return false;
        }
        let ok = true;
        value.forEach((item, i) => {
          const itemPath = indexPath(path, i);
          const itemOk =
            field.listKind === 'scalar'
              ? this.scalar(field.scalar, item, itemPath)
              : field.listKind === 'enum'
                ? this.enumValue(field.enum, item, itemPath)
                : this.message(field.message, item, itemPath, validate);
          ok &&= itemOk;
        });
        return ok;
      }
      case 'map': {
        if (!isObject(value)) {
          this.problem(path, `expected an object (a map), got ${describeValue(value)}`);
          return false;
        }
        let ok = true;
        for (const [key, item] of Object.entries(value)) {
          const itemPath = keyPath(path, key);
          ok &&= this.mapKey(field.mapKey, key, itemPath);
          const itemOk =
            field.mapKind === 'scalar'
              ? this.scalar(field.scalar, item, itemPath)
              : field.mapKind === 'enum'
                ? this.enumValue(field.enum, item, itemPath)
                : this.message(field.message, item, itemPath, validate);
          ok &&= itemOk;
        }
        return ok;
      }
    }
  }

  private mapKey(type: ScalarType, key: string, path: string): boolean {
    if (type === ScalarType.STRING) return true;
    if (
      type === ScalarType.BOOL
        ? key === 'true' || key === 'false'
        : parseInteger(type, key) !== undefined
    ) {
      return true;
    }
    this.problem(path, `expected a key of type ${scalarName(type)}, got ${JSON.stringify(key)}`);
    return false;
  }

  private scalar(type: ScalarType, value: unknown, path: string): boolean {
    const error = checkScalar(type, value);
    if (error !== undefined) this.problem(path, error);
    return error === undefined;
  }

  private enumValue(desc: DescEnum, value: unknown, path: string): boolean {
    if (typeof value === 'string') {
      const known = desc.values.find((v) => v.name === value);
      if (!known) {
        const names = desc.values.map((v) => v.name);
        const list = names.length <= 10 ? ` (${names.join(', ')})` : '';
        this.problem(
          path,
          `${JSON.stringify(value)} is not a value of ${desc.typeName}${didYouMean(value, names) || list}`,
        );
        return false;
      }
      if (known.deprecated) this.problem(path, `${value} is deprecated in Envoy's API`);
      return true;
    }
    if (desc.typeName === 'google.protobuf.NullValue' && value === null) return true;
    if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 2 ** 31)
      return true;
    this.problem(
      path,
      `expected a value of ${desc.typeName} (a name), got ${describeValue(value)}`,
    );
    return false;
  }

  /**
   * Types whose JSON form is not an object of their fields. Returns undefined for every other
   * type, and whether the value was fine for these.
   */
  private wellKnown(
    desc: DescMessage,
    value: unknown,
    path: string,
    validate: boolean,
  ): boolean | undefined {
    const name = desc.typeName;
    if (wrapperTypes.has(name)) {
      const inner = desc.fields[0]!;
      return inner.fieldKind === 'scalar' ? this.scalar(inner.scalar, value, path) : undefined;
    }
    switch (name) {
      case 'google.protobuf.Any':
        return this.any(value, path, validate);
      case 'google.protobuf.Duration':
        if (typeof value === 'string' && parseDuration(value) !== undefined) return true;
        this.problem(
          path,
          `expected a duration such as "1.5s" (seconds, then "s"), got ${describeValue(value)}`,
        );
        return false;
      case 'google.protobuf.Timestamp':
        if (
          typeof value === 'string' &&
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.test(value)
        ) {
          return true;
        }
        this.problem(
          path,
          `expected an RFC 3339 time such as "2026-01-01T00:00:00Z", got ${describeValue(value)}`,
        );
        return false;
      case 'google.protobuf.FieldMask':
        return this.expect(typeof value === 'string', path, 'a string of field paths', value);
      case 'google.protobuf.Struct':
        return this.expect(isObject(value), path, 'an object', value);
      case 'google.protobuf.ListValue':
        return this.expect(Array.isArray(value), path, 'a list', value);
      case 'google.protobuf.Value':
        return true;
      case 'google.protobuf.Empty':
        return this.expect(isObject(value) && Object.keys(value).length === 0, path, '{}', value);
      default:
        return undefined;
    }
  }

  private expect(ok: boolean, path: string, what: string, value: unknown): boolean {
    if (!ok) this.problem(path, `expected ${what}, got ${describeValue(value)}`);
    return ok;
  }

  /** An Any names its type in "@type"; the rest of the object is that type's fields. */
  private any(value: unknown, path: string, validate: boolean): boolean {
    if (!isObject(value)) {
      this.problem(path, `expected an object with "@type", got ${describeValue(value)}`);
      return false;
    }
    const url = value['@type'];
    if (url === undefined && Object.keys(value).length === 0) return true;
    if (typeof url !== 'string') {
      this.problem(
        childPath(path, '@type'),
        url === undefined
          ? 'is required: the type of this configuration, e.g. "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"'
          : `expected a type URL, got ${describeValue(url)}`,
      );
      return false;
    }
    const typeName = url.slice(url.lastIndexOf('/') + 1);
    const desc = url.includes('/') ? this.api.registry.getMessage(typeName) : undefined;
    if (!desc) {
      const known = this.api.anyTypes;
      this.problem(
        childPath(path, '@type'),
        url.includes('/')
          ? `unknown type ${typeName} (esteps checks ${known.length} Envoy extension types)${didYouMean(typeName, known)}`
          : `expected "type.googleapis.com/<type name>", got ${JSON.stringify(url)}`,
      );
      return false;
    }
    if (this.wellKnownJson(desc)) {
      const extra = Object.keys(value).filter((k) => k !== '@type' && k !== 'value');
      for (const key of extra)
        this.problem(childPath(path, key), `unknown field of ${typeName}: its JSON is in "value"`);
      return (
        this.message(desc, value.value, childPath(path, 'value'), validate) && extra.length === 0
      );
    }
    const before = this.problems.length;
    this.fields(desc, value, path, validate, new Set(['@type']));
    return this.problems.length === before;
  }

  private wellKnownJson(desc: DescMessage): boolean {
    return (
      wrapperTypes.has(desc.typeName) ||
      [
        'google.protobuf.Any',
        'google.protobuf.Duration',
        'google.protobuf.Timestamp',
        'google.protobuf.FieldMask',
        'google.protobuf.Struct',
        'google.protobuf.ListValue',
        'google.protobuf.Value',
        'google.protobuf.Empty',
      ].includes(desc.typeName)
    );
  }
}

/** proto3 JSON reads null as "not set", except where the type is google.protobuf.Value. */
function isNull(field: DescField, value: unknown): boolean {
  if (value !== null) return false;
  return !(field.fieldKind === 'message' && field.message.typeName === 'google.protobuf.Value');
}
