import { closest } from '../validate/suggest.js';
import type { MessageType } from './envoy-api.js';
import { childPath, describeValue, isObject } from './envoy-paths.js';
import type { ProtoChecker } from './proto-checker.js';
import { parseDuration, wrappedScalar } from './proto-scalars.js';
import { startupProblem } from './startup-checks.js';

/**
 * The candidates a "did you mean" can pick for a long name: at most 3 edits away means at most
 * 3 characters longer or shorter, and the other 1,300 type names need no edit distance.
 */
function nearInLength(name: string, candidates: readonly string[]): string[] {
  return candidates.filter((c) => Math.abs(c.length - name.length) <= 3);
}

const typedStructs = new Set(['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct']);

/** Special types that may also be written as an object of their fields. */
const objectForms = new Set([
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'google.protobuf.FieldMask',
  'google.protobuf.ListValue',
  ...['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (t) => `google.protobuf.${t}Value`,
  ),
]);

/** Types whose JSON form is not an object of their fields. */
const wellKnownJson = new Set([
  'google.protobuf.Any',
  'google.protobuf.Duration',
  'google.protobuf.Timestamp',
  'google.protobuf.FieldMask',
  'google.protobuf.Struct',
  'google.protobuf.ListValue',
  'google.protobuf.Value',
  'google.protobuf.Empty',
]);

/**
 * The protobuf types whose JSON is special (wrappers, Duration, Any, Struct, ...), as the
 * checker reads them. An Any is read through Envoy's API by its "@type"; a TypedStruct (what
 * a control plane may send instead) through the type its `type_url` names.
 */
export class WellKnownTypes {
  constructor(private readonly checker: ProtoChecker) {}

  /** Whether `value` is fine as the well-known `typeName`; undefined for any other type. */
  check(typeName: string, value: unknown, path: string, validate: boolean): boolean | undefined {
    // Protobuf's parser, in the legacy mode Envoy gets, also reads these types as objects of
    // their fields (`{seconds: 5}`, `{value: 3}`): those are decoded as plain messages.
    if (isObject(value) && objectForms.has(typeName)) return undefined;
    const scalar = wrappedScalar(typeName);
    if (scalar) return this.checker.scalar(scalar, value, path);
    switch (typeName) {
      case 'google.protobuf.Any':
        return this.any(value, path, validate);
      case 'google.protobuf.Duration':
        return this.duration(value, path);
      case 'google.protobuf.Timestamp':
        return this.expect(
          typeof value === 'string' &&
            /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.test(value),
          path,
          'an RFC 3339 time such as "2026-01-01T00:00:00Z"',
          value,
        );
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

  /**
   * "1.5s": seconds with at most nine decimals. Envoy refuses a negative one wherever it is
   * ("Expected positive duration"), whether or not the API has a rule on the field.
   */
  private duration(value: unknown, path: string): boolean {
    const nanos = typeof value === 'string' ? parseDuration(value) : undefined;
    if (nanos === undefined) {
      this.checker.error(
        path,
        `expected a duration such as "1.5s" (seconds, then "s"), got ${describeValue(value)}`,
      );
      return false;
    }
    if (nanos < 0n) {
      this.checker.problems.push(
        startupProblem(
          'negative-duration',
          path,
          `${value} is negative: Envoy refuses negative durations ("Expected positive duration")`,
        ),
      );
      return false;
    }
    return true;
  }

  private expect(ok: boolean, path: string, what: string, value: unknown): boolean {
    if (!ok) this.checker.error(path, `expected ${what}, got ${describeValue(value)}`);
    return ok;
  }

  /** An Any names its type in "@type"; the rest of the object is that type's fields. */
  private any(value: unknown, path: string, validate: boolean): boolean {
    if (!isObject(value)) {
      this.checker.error(path, `expected an object with "@type", got ${describeValue(value)}`);
      return false;
    }
    const url = value['@type'];
    if (url === undefined && Object.keys(value).length === 0) return true;
    const desc = this.typeOf(url, childPath(path, '@type'));
    if (!desc) return false;
    const before = this.checker.errorCount();
    if (wellKnownJson.has(desc.typeName) || wrappedScalar(desc.typeName)) {
      const extra = Object.keys(value).filter((k) => k !== '@type' && k !== 'value');
      for (const key of extra) {
        this.checker.error(
          childPath(path, key),
          `unknown field of ${desc.typeName}: its JSON is in "value"`,
        );
      }
      this.checker.message(desc, value.value, childPath(path, 'value'), validate);
    } else {
      this.checker.fields(desc, value, path, validate, new Set(['@type']));
      if (typedStructs.has(desc.typeName)) this.typedStruct(value, path);
    }
    return this.checker.errorCount() === before;
  }

  /** The message an "@type" (or a TypedStruct's `type_url`) names, or undefined after an error. */
  private typeOf(url: unknown, path: string): MessageType | undefined {
    const api = this.checker.api;
    if (typeof url !== 'string') {
      this.checker.error(
        path,
        url === undefined
          ? 'is required: the type of this configuration, e.g. "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"'
          : `expected a type URL, got ${describeValue(url)}`,
      );
      return undefined;
    }
    if (!url.includes('/')) {
      this.checker.error(
        path,
        `expected "type.googleapis.com/<type name>", got ${JSON.stringify(url)}`,
      );
      return undefined;
    }
    const typeName = url.slice(url.lastIndexOf('/') + 1);
    const desc = api.message(typeName);
    if (desc) {
      if (desc.contrib) {
        this.checker.warn(
          path,
          `${typeName} is a contrib extension: only Envoy's contrib images (envoyproxy/envoy-contrib) have it`,
        );
      }
      if (desc.workInProgress) {
        this.checker.warn(
          path,
          `${typeName} is work in progress in Envoy's API: not stable, and may change without notice (Envoy logs a warning)`,
        );
      }
      return desc;
    }
    const v3 = typeName.replace(/\.v2(alpha\d*)?\./, '.v3.');
    const guess =
      /\.v2(alpha\d*)?\./.test(typeName) || typeName.startsWith('envoy.api.v2')
        ? api.message(v3)
          ? v3
          : undefined
        : closest(typeName, nearInLength(typeName, api.messageNames));
    const removed = guess && guess === v3 ? ': Envoy removed the v2 API (1.18)' : '';
    this.checker.error(
      path,
      `unknown type ${typeName}${removed} (esteps knows the ${api.extensionTypes.length} extension types of Envoy's v3 API)${guess ? `; did you mean "${guess}"?` : ''}`,
      guess,
    );
    return undefined;
  }

  /** A TypedStruct's `value` is the fields of the type `type_url` names, as a Struct. */
  private typedStruct(value: Record<string, unknown>, path: string): void {
    const urlKey = 'type_url' in value ? 'type_url' : 'typeUrl';
    const url = value[urlKey];
    if (url === undefined) return;
    const desc = this.typeOf(url, childPath(path, urlKey));
    if (!desc || !isObject(value.value)) return;
    this.checker.fields(desc, value.value, childPath(path, 'value'), true, new Set());
  }
}
