import { isIP } from 'node:net';
import type { EnumType, EnvoyApi, FieldType, Rules, ScalarName } from './envoy-api.js';
import { isObject } from './envoy-paths.js';
import { parseDuration, parseFloatJson, parseInteger, wrappedScalar } from './proto-scalars.js';

/**
 * The validation rules of Envoy's API: protoc-gen-validate's `(validate.rules)` on fields,
 * read as the JSON of `validate.FieldRules` (`{"uint32": {"lte": 65535}}`). Envoy checks them
 * when it loads a configuration; so do we, for every rule the API uses: message.required and
 * skip; numeric const, lt, lte, gt, gte, in, not_in; bool const; string const, lengths,
 * pattern, prefix, suffix, contains, in, not_in, ignore_empty and the well-known formats
 * (hostname, ip, address, uuid, HTTP header name and value); bytes lengths; enum const,
 * defined_only, in, not_in; repeated and map sizes, unique, items, keys, values; any and
 * duration rules. Left out: email, uri_ref and timestamp bounds, which the API does not use.
 */

/** A rule a value breaks; `at` continues the field's path (`[2]`, `["key"]`). */
export interface RuleProblem {
  readonly at?: string;
  readonly message: string;
}

/** Checks a field's rules against its JSON value, `undefined` when the field is not set. */
export function checkFieldRules(
  api: EnvoyApi,
  field: FieldType,
  rules: Rules,
  value: unknown,
): RuleProblem[] {
  // A member of a oneof is checked only when it is the one set.
  if (value === undefined && field.oneof !== undefined) return [];
  const kind = kindOf(api, field);
  if (field.list) return repeatedRules(kind, sub(rules, 'repeated'), asList(value));
  if (field.mapKey) {
    return mapRules(kind, sub(rules, 'map'), value === undefined ? {} : (value as Rules));
  }
  if (field.kind === 'message') {
    if (value === undefined) return requiredMessage(rules) ? [{ message: 'is required' }] : [];
    return valueRules(kind, rules, value).map((message) => ({ message }));
  }
  if (value === undefined && field.explicitPresence) return [];
  const problems = valueRules(kind, rules, value ?? zeroValue(field, kind));
  return problems.map((message) => ({
    message: value === undefined ? `is required: it ${message}` : message,
  }));
}

/**
 * A list field's items as Envoy's parser reads them (legacy mode): one value for a list of
 * one, lists within it flattened, null items as the type's default (left out here).
 */
function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return [value];
  return value.flatMap((item) =>
    Array.isArray(item) ? asList(item) : item === null ? [] : [item],
  );
}

/** `(validate.rules).message.skip`: no rules inside this field's message. */
export function skipsMessage(rules: Rules | undefined): boolean {
  return sub(rules, 'message')?.skip === true;
}

function requiredMessage(rules: Rules): boolean {
  return ['message', 'duration', 'any', 'timestamp'].some((k) => sub(rules, k)?.required === true);
}

function zeroValue(field: FieldType, kind: ValueKind): unknown {
  if (field.kind === 'enum') return kind.enum?.values[0]?.number ?? 0;
  if (field.scalar === 'string' || field.scalar === 'bytes') return '';
  return field.scalar === 'bool' ? false : 0;
}

interface ValueKind {
  readonly scalar?: ScalarName;
  readonly enum?: EnumType;
  /** A message's full name. */
  readonly message?: string;
}

function kindOf(api: EnvoyApi, field: FieldType): ValueKind {
  if (field.kind === 'scalar') return { scalar: field.scalar! };
  if (field.kind === 'enum') {
    const desc = api.enum(field.typeName!);
    return desc ? { enum: desc } : {};
  }
  return { message: field.typeName! };
}

/** Rules on one value (a singular field, a list item, a map value): messages, no path. */
function valueRules(kind: ValueKind, rules: Rules, value: unknown): string[] {
  const message = kind.message;
  if (message) {
    const inner = wrappedScalar(message);
    // Both forms: the scalar, or (legacy) `{value: ...}`; "1.5s", or `{seconds, nanos}`.
    if (inner) return valueRules({ scalar: inner }, rules, isObject(value) ? value.value : value);
    if (message === 'google.protobuf.Duration') {
      const text = isObject(value)
        ? `${Number(value.seconds ?? 0) + Number(value.nanos ?? 0) / 1e9}s`
        : value;
      return typeof text === 'string' ? durationRules(sub(rules, 'duration'), text) : [];
    }
    if (message === 'google.protobuf.Any') return anyRules(sub(rules, 'any'), value as Rules);
    return [];
  }
  if (kind.enum) return enumRules(kind.enum, sub(rules, 'enum'), value);
  switch (kind.scalar) {
    case 'string':
      return stringRules(sub(rules, 'string'), value as string);
    case 'bytes':
      return bytesRules(sub(rules, 'bytes'), value as string);
    case 'bool': {
      const r = sub(rules, 'bool');
      return r?.const !== undefined && r.const !== value ? [`must be ${r.const}`] : [];
    }
    case undefined:
      return [];
    default: {
      const r = sub(rules, kind.scalar);
      const integer = parseInteger(kind.scalar, value);
      const n =
        kind.scalar === 'double' || kind.scalar === 'float'
          ? parseFloatJson(value)
          : integer === undefined
            ? undefined
            : Number(integer);
      return r && n !== undefined ? numberRules(r, n, String) : [];
    }
  }
}

/** const, lt, lte, gt, gte, in, not_in; with lower bound above upper, the range is outside. */
function numberRules(r: Rules, x: number, show: (n: number) => string, parse = toNumber): string[] {
  const out: string[] = [];
  const [c, lt, lte, gt, gte] = ['const', 'lt', 'lte', 'gt', 'gte'].map((k) => parse(r[k]));
  if (c !== undefined && x !== c) out.push(`must be ${show(c)}, got ${show(x)}`);
  const upper = lt ?? lte;
  const lower = gt ?? gte;
  const upperOk = lt !== undefined ? x < lt : lte !== undefined ? x <= lte : true;
  const lowerOk = gt !== undefined ? x > gt : gte !== undefined ? x >= gte : true;
  const upperText =
    lt !== undefined ? `less than ${show(lt)}` : lte !== undefined ? `at most ${show(lte)}` : '';
  const lowerText =
    gt !== undefined
      ? `greater than ${show(gt)}`
      : gte !== undefined
        ? `at least ${show(gte)}`
        : '';
  if (upper !== undefined && lower !== undefined && upper < lower) {
    if (!upperOk && !lowerOk) out.push(`must be ${upperText} or ${lowerText}, got ${show(x)}`);
  } else if (!upperOk || !lowerOk) {
    out.push(`must be ${[lowerText, upperText].filter(Boolean).join(' and ')}, got ${show(x)}`);
  }
  const within = (list: unknown) => (Array.isArray(list) ? list.map(parse) : undefined);
  const inList = within(r.in);
  if (inList && inList.length > 0 && !inList.includes(x)) {
    out.push(`must be one of ${inList.map((n) => show(n!)).join(', ')}, got ${show(x)}`);
  }
  if (within(r.notIn)?.includes(x)) out.push(`must not be ${show(x)}`);
  return out;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function durationRules(r: Rules | undefined, value: string): string[] {
  if (!r) return [];
  const seconds = (v: unknown) => {
    const nanos = typeof v === 'string' ? parseDuration(v) : undefined;
    return nanos === undefined ? undefined : Number(nanos) / 1e9;
  };
  const x = seconds(value);
  return x === undefined ? [] : numberRules(r, x, (n) => `${n}s`, seconds);
}

function anyRules(r: Rules | undefined, value: Rules): string[] {
  const url = value['@type'];
  if (!r || typeof url !== 'string') return [];
  const inList = Array.isArray(r.in) ? r.in : [];
  if (inList.length > 0 && !inList.includes(url))
    return [`must be one of the types ${inList.join(', ')}`];
  return Array.isArray(r.notIn) && r.notIn.includes(url) ? [`must not be of type ${url}`] : [];
}

function enumRules(desc: EnumType | undefined, r: Rules | undefined, value: unknown): string[] {
  if (!r || !desc) return [];
  const upper = typeof value === 'string' ? value.toUpperCase() : undefined;
  const number =
    typeof value === 'number' ? value : desc.values.find((v) => v.name === upper)?.number;
  if (number === undefined) return [];
  const name = (n: unknown) => desc.values.find((v) => v.number === n)?.name ?? String(n);
  const out: string[] = [];
  if (r.const !== undefined && name(r.const) !== name(number)) out.push(`must be ${name(r.const)}`);
  if (r.definedOnly === true && !desc.values.some((v) => v.number === number)) {
    out.push(`${number} is not a value of ${desc.typeName}`);
  }
  const inList = Array.isArray(r.in) ? r.in.map(name) : [];
  if (inList.length > 0 && !inList.includes(name(number)))
    out.push(`must be one of ${inList.join(', ')}`);
  if (Array.isArray(r.notIn) && r.notIn.map(name).includes(name(number)))
    out.push(`must not be ${name(number)}`);
  return out;
}

function stringRules(r: Rules | undefined, s: string): string[] {
  if (!r || (r.ignoreEmpty === true && s === '')) return [];
  const out: string[] = [];
  const chars = [...s].length;
  const bytes = Buffer.byteLength(s);
  const n = (k: string) => toNumber(r[k]);
  if (typeof r.const === 'string' && s !== r.const) out.push(`must be ${JSON.stringify(r.const)}`);
  if ((n('minLen') === 1 && chars < 1) || (n('minBytes') === 1 && bytes < 1))
    out.push('must not be empty');
  else {
    sizeRule(out, chars, n('len'), n('minLen'), n('maxLen'), 'characters');
    sizeRule(out, bytes, n('lenBytes'), n('minBytes'), n('maxBytes'), 'bytes');
  }
  if (typeof r.pattern === 'string' && !matches(r.pattern, s))
    out.push(`must match the pattern ${r.pattern}`);
  if (typeof r.prefix === 'string' && !s.startsWith(r.prefix))
    out.push(`must start with ${JSON.stringify(r.prefix)}`);
  if (typeof r.suffix === 'string' && !s.endsWith(r.suffix))
    out.push(`must end with ${JSON.stringify(r.suffix)}`);
  if (typeof r.contains === 'string' && !s.includes(r.contains))
    out.push(`must contain ${JSON.stringify(r.contains)}`);
  if (typeof r.notContains === 'string' && s.includes(r.notContains)) {
    out.push(`must not contain ${JSON.stringify(r.notContains)}`);
  }
  if (Array.isArray(r.in) && r.in.length > 0 && !r.in.includes(s)) {
    out.push(`must be one of ${r.in.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  if (Array.isArray(r.notIn) && r.notIn.includes(s)) out.push(`must not be ${JSON.stringify(s)}`);
  const format = wellKnownFormat(r, s);
  if (format) out.push(format);
  return out;
}

const headerName = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters refused
const headerValue = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters refused
const headerLoose = /^[^\u0000\u000A\u000D]*$/;
const hostnameRe =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;
const uuidRe = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function wellKnownFormat(r: Rules, s: string): string | undefined {
  if (r.hostname === true && !hostnameRe.test(s)) return 'must be a hostname';
  if (r.ip === true && isIP(s) === 0) return 'must be an IP address';
  if (r.ipv4 === true && isIP(s) !== 4) return 'must be an IPv4 address';
  if (r.ipv6 === true && isIP(s) !== 6) return 'must be an IPv6 address';
  if (r.address === true && isIP(s) === 0 && !hostnameRe.test(s))
    return 'must be a hostname or an IP address';
  if (r.uuid === true && !uuidRe.test(s)) return 'must be a UUID';
  if (r.uri === true && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s)) return 'must be an absolute URI';
  const strict = r.strict !== false;
  if (r.wellKnownRegex === 'HTTP_HEADER_NAME' && !(strict ? headerName : headerLoose).test(s)) {
    return 'must be an HTTP header name';
  }
  if (r.wellKnownRegex === 'HTTP_HEADER_VALUE' && !(strict ? headerValue : headerLoose).test(s)) {
    return 'must be an HTTP header value (no control characters)';
  }
  return undefined;
}

/** RE2 patterns as JavaScript reads them; one JavaScript cannot read is not checked. */
function matches(pattern: string, s: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(s);
  } catch {
    return true;
  }
}

function bytesRules(r: Rules | undefined, base64: string): string[] {
  if (!r) return [];
  const out: string[] = [];
  const n = (k: string) => toNumber(r[k]);
  sizeRule(out, Buffer.from(base64, 'base64').length, n('len'), n('minLen'), n('maxLen'), 'bytes');
  return out;
}

function sizeRule(
  out: string[],
  size: number,
  len?: number,
  min?: number,
  max?: number,
  unit = 'items',
): void {
  if (len !== undefined && size !== len) out.push(`must have exactly ${len} ${unit}, has ${size}`);
  if (min !== undefined && size < min) out.push(`must have at least ${min} ${unit}, has ${size}`);
  if (max !== undefined && size > max) out.push(`must have at most ${max} ${unit}, has ${size}`);
}

function repeatedRules(kind: ValueKind, r: Rules | undefined, list: unknown[]): RuleProblem[] {
  if (!r || (r.ignoreEmpty === true && list.length === 0)) return [];
  const out: string[] = [];
  const min = toNumber(r.minItems);
  if (min !== undefined && list.length < min) {
    out.push(
      list.length === 0
        ? `needs at least ${min} item${min === 1 ? '' : 's'}`
        : `must have at least ${min} items, has ${list.length}`,
    );
  }
  sizeRule(out, list.length, undefined, undefined, toNumber(r.maxItems));
  const problems: RuleProblem[] = out.map((message) => ({ message }));
  if (r.unique === true) {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      const key = JSON.stringify(item);
      if (seen.has(key))
        problems.push({ at: `[${i}]`, message: 'repeats an earlier item; items must be unique' });
      seen.add(key);
    });
  }
  const items = sub(r, 'items');
  if (items) {
    list.forEach((item, i) => {
      for (const message of valueRules(kind, items, item)) problems.push({ at: `[${i}]`, message });
    });
  }
  return problems;
}

function mapRules(kind: ValueKind, r: Rules | undefined, map: Rules): RuleProblem[] {
  const entries = Object.entries(map);
  if (!r || (r.ignoreEmpty === true && entries.length === 0)) return [];
  const out: string[] = [];
  sizeRule(out, entries.length, undefined, toNumber(r.minPairs), toNumber(r.maxPairs), 'entries');
  const problems: RuleProblem[] = out.map((message) => ({ message }));
  const keys = sub(r, 'keys');
  const values = sub(r, 'values');
  for (const [key, item] of entries) {
    const at = `[${JSON.stringify(key)}]`;
    if (keys)
      for (const message of stringRules(sub(keys, 'string'), key))
        problems.push({ at, message: `key ${message}` });
    if (values)
      for (const message of valueRules(kind, values, item)) problems.push({ at, message });
  }
  return problems;
}

function sub(rules: Rules | undefined, key: string): Rules | undefined {
  const value = rules?.[key];
  return isObject(value) ? (value as Rules) : undefined;
}
