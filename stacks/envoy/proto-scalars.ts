import { ScalarType } from '@bufbuild/protobuf';
import { describeValue } from './envoy-paths.js';

const integerRanges: Partial<Record<ScalarType, readonly [bigint, bigint]>> = {
  [ScalarType.INT32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [ScalarType.SINT32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [ScalarType.SFIXED32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [ScalarType.UINT32]: [0n, 2n ** 32n - 1n],
  [ScalarType.FIXED32]: [0n, 2n ** 32n - 1n],
  [ScalarType.INT64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [ScalarType.SINT64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [ScalarType.SFIXED64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [ScalarType.UINT64]: [0n, 2n ** 64n - 1n],
  [ScalarType.FIXED64]: [0n, 2n ** 64n - 1n],
};

/** Wrappers of one scalar, whose JSON form is that scalar's. */
export const wrapperTypes: ReadonlySet<string> = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (t) => `google.protobuf.${t}Value`,
  ),
);

/** The name of a scalar type as in .proto files. */
export function scalarName(type: ScalarType): string {
  return ScalarType[type]?.toLowerCase() ?? String(type);
}

/**
 * An integer of the given type from its JSON form (a number, or a string of digits as proto3
 * JSON writes 64-bit integers), or undefined when it is none or out of the type's range.
 */
export function parseInteger(type: ScalarType, value: unknown): bigint | undefined {
  const range = integerRanges[type];
  if (!range) return undefined;
  let n: bigint;
  if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value)) n = BigInt(value);
  else return undefined;
  return n >= range[0] && n <= range[1] ? n : undefined;
}

/** Why `value` is not the JSON form of `type`, or undefined when it is. */
export function checkScalar(type: ScalarType, value: unknown): string | undefined {
  const name = scalarName(type);
  switch (type) {
    case ScalarType.STRING:
      return typeof value === 'string'
        ? undefined
        : `expected a string, got ${describeValue(value)}`;
    case ScalarType.BOOL:
      return typeof value === 'boolean'
        ? undefined
        : `expected true or false, got ${describeValue(value)}`;
    case ScalarType.BYTES:
      return typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value)
        ? undefined
        : `expected base64 bytes, got ${describeValue(value)}`;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT: {
      const n = parseFloatJson(value);
      if (n === undefined) return `expected a number, got ${describeValue(value)}`;
      if (type === ScalarType.FLOAT && Number.isFinite(n) && Math.abs(n) > 3.4028234663852886e38) {
        return `${n} is out of range for a float`;
      }
      return undefined;
    }
    default: {
      if (parseInteger(type, value) !== undefined) return undefined;
      const isInteger =
        (typeof value === 'number' && Number.isInteger(value)) ||
        (typeof value === 'string' && /^-?\d+$/.test(value));
      const range = integerRanges[type]!;
      return isInteger
        ? `${value} is out of range for a ${name} (${range[0]} to ${range[1]})`
        : `expected an integer (${name}), got ${describeValue(value)}`;
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
  if (value.trim() !== value || value === '') return undefined;
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
