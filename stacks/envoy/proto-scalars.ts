import type { ScalarName } from './envoy-api.js';
import { describeValue } from './envoy-paths.js';

const int32: readonly [bigint, bigint] = [-(2n ** 31n), 2n ** 31n - 1n];
const uint32: readonly [bigint, bigint] = [0n, 2n ** 32n - 1n];
const int64: readonly [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
const uint64: readonly [bigint, bigint] = [0n, 2n ** 64n - 1n];
const integerRanges: Partial<Record<ScalarName, readonly [bigint, bigint]>> = {
  int32,
  sint32: int32,
  sfixed32: int32,
  uint32,
  fixed32: uint32,
  int64,
  sint64: int64,
  sfixed64: int64,
  uint64,
  fixed64: uint64,
};

/** Wrappers of one scalar, whose JSON form is that scalar's. */
export const wrapperTypes: ReadonlySet<string> = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (t) => `google.protobuf.${t}Value`,
  ),
);

/** The scalar a wrapper type carries (`google.protobuf.UInt32Value` -> uint32). */
export function wrappedScalar(typeName: string): ScalarName | undefined {
  if (!wrapperTypes.has(typeName)) return undefined;
  return typeName.slice('google.protobuf.'.length, -'Value'.length).toLowerCase() as ScalarName;
}

/** A decimal or exponent number as protobuf's JSON parser reads it from a JSON string. */
const numberText = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * An integer of the given type from its JSON form, or undefined when it is none or out of the
 * type's range. Protobuf's JSON parser (what Envoy reads with) takes a number or a string of
 * one, and a float form too when its value is whole (`8080.0`, `"1e3"`): YAML's `8080.0` reaches
 * it as a string.
 */
export function parseInteger(type: ScalarName, value: unknown): bigint | undefined {
  const range = integerRanges[type];
  if (!range) return undefined;
  let n: bigint;
  if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value)) n = BigInt(value);
  else if (typeof value === 'string' && numberText.test(value)) {
    const x = Number(value);
    if (!Number.isInteger(x)) return undefined;
    n = BigInt(x);
  } else return undefined;
  return n >= range[0] && n <= range[1] ? n : undefined;
}

/** Why `value` is not the JSON form of `type`, or undefined when it is. */
export function checkScalar(type: ScalarName, value: unknown): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string'
        ? undefined
        : `expected a string, got ${describeValue(value)}${typeof value === 'number' ? ' (quote it: an unquoted whole number is a number to Envoy, too)' : ''}`;
    case 'bool':
      // Strings as absl::SimpleAtob reads them: protobuf's parser takes them in legacy mode.
      return typeof value === 'boolean' ||
        (typeof value === 'string' && /^(true|false|t|f|yes|no|y|n|1|0)$/i.test(value))
        ? undefined
        : `expected true or false, got ${describeValue(value)}`;
    case 'bytes':
      return typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value)
        ? undefined
        : `expected base64 bytes, got ${describeValue(value)}`;
    case 'double':
    case 'float': {
      const n = parseFloatJson(value);
      if (n === undefined) return `expected a number, got ${describeValue(value)}`;
      if (type === 'float' && Number.isFinite(n) && Math.abs(n) > 3.4028234663852886e38) {
        return `${n} is out of range for a float`;
      }
      return undefined;
    }
    default: {
      if (parseInteger(type, value) !== undefined) return undefined;
      const range = integerRanges[type]!;
      const number = typeof value === 'string' && numberText.test(value) ? Number(value) : value;
      if (typeof number === 'number' && Number.isInteger(number)) {
        return `${value} is out of range for a ${type} (${range[0]} to ${range[1]})`;
      }
      return typeof number === 'number'
        ? `expected a whole number (${type}), got ${value}`
        : `expected an integer (${type}), got ${describeValue(value)}`;
    }
  }
}

/** A float from its JSON form: a number, a numeric string, "NaN", "Infinity", "-Infinity". */
export function parseFloatJson(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (!numberText.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** protobuf's limit on a Duration: 10,000 years. */
const maxDurationSeconds = 315_576_000_000n;

/**
 * A JSON duration ("1.5s", "-0.001s", "300s") in nanoseconds, or undefined when it is not one:
 * seconds with at most nine decimals, then "s".
 */
export function parseDuration(value: string): bigint | undefined {
  const match = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(value);
  if (!match) return undefined;
  const seconds = BigInt(match[2]!);
  if (seconds > maxDurationSeconds) return undefined;
  const nanos = seconds * 1_000_000_000n + BigInt((match[3] ?? '').padEnd(9, '0'));
  return match[1] ? -nanos : nanos;
}
