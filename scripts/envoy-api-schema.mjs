// Turns a compiled Envoy API (a FileDescriptorSet with source info, from buf; see
// scripts/envoy-descriptors.sh) into stacks/envoy/api/envoy-api.json.gz: every message and enum
// with what the checker needs and nothing more (fields, types, oneofs, the validation rules of
// protoc-gen-validate as JSON, deprecations with the replacement Envoy's docs name, work in
// progress, contrib). Plain JSON, because reading it is a JSON.parse: a command that checks a
// configuration pays a few milliseconds, not the hundreds that decoding descriptors costs.
//
// Usage: node scripts/envoy-api-schema.mjs IN.binpb OUT.json.gz
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createFileRegistry, fromBinary, getOption, hasOption, toJson } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';

const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: envoy-api-schema.mjs IN.binpb OUT.json');

const set = fromBinary(FileDescriptorSetSchema, readFileSync(input));
const registry = createFileRegistry(set);
const ext = (name) => registry.getExtension(name);
const opt = {
  rules: ext('validate.rules'),
  required: ext('validate.required'),
  disabled: ext('validate.disabled'),
  ignored: ext('validate.ignored'),
  disallowed: ext('envoy.annotations.disallowed_by_default'),
  deprecatedAt: ext('envoy.annotations.deprecated_at_minor_version'),
  disallowedEnum: ext('envoy.annotations.disallowed_by_default_enum'),
  deprecatedAtEnum: ext('envoy.annotations.deprecated_at_minor_version_enum'),
  fieldStatus: ext('xds.annotations.v3.field_status'),
  messageStatus: ext('xds.annotations.v3.message_status'),
  fileStatusXds: ext('xds.annotations.v3.file_status'),
  fileStatusUdpa: ext('udpa.annotations.file_status'),
};
for (const [key, value] of Object.entries(opt)) {
  if (!value) throw new Error(`the descriptor set lacks the option ${key}`);
}

const option = (desc, extension) =>
  hasOption(desc, extension) ? getOption(desc, extension) : undefined;

/** Comments by full name of a field or enum value, from the source info. */
const comments = new Map();
for (const file of set.file) {
  const byPath = new Map(
    (file.sourceCodeInfo?.location ?? []).map((l) => [
      l.path.join('.'),
      `${l.leadingComments ?? ''}\n${l.trailingComments ?? ''}`,
    ]),
  );
  const walkEnum = (e, name, path) => {
    for (const [i, v] of e.value.entries()) {
      comments.set(`${name}.${e.name}.${v.name}`, byPath.get([...path, 2, i].join('.')));
    }
  };
  const walkMessage = (m, name, path) => {
    const full = `${name}.${m.name}`;
    for (const [i, f] of m.field.entries()) {
      comments.set(`${full}.${f.name}`, byPath.get([...path, 2, i].join('.')));
    }
    for (const [i, n] of m.nestedType.entries()) walkMessage(n, full, [...path, 3, i]);
    for (const [i, e] of m.enumType.entries()) walkEnum(e, full, [...path, 4, i]);
  };
  for (const [i, m] of file.messageType.entries()) walkMessage(m, file.package, [4, i]);
  for (const [i, e] of file.enumType.entries()) walkEnum(e, file.package, [5, i]);
}

/**
 * What Envoy's docs say about a deprecated field or value: the sentence of its comment that
 * says it is deprecated (or what replaces it), with the replacement it names (`use`: the first
 * field, message or value it refers to there), as `{ note, use }`; `{}` when it says nothing.
 */
function replacementOf(fullName) {
  const refs = [];
  const text = (comments.get(fullName) ?? '')
    .replace(/\s+/g, ' ')
    .replace(/:ref:`([^`<]*?)\s*<([^>]*)>`/g, (_, label, target) => {
      refs.push(target);
      return `\uE000${refs.length - 1}\uE000${label.trim()}`;
    })
    .replace(/:ref:`([^`]*)`/g, '$1')
    .replace(/\.\. (attention|note|warning)::/g, '')
    .trim();
  const sentences = text.split(/(?<=\.)\s+(?=[A-Z])/);
  const index = sentences.findIndex(
    (s) =>
      /deprecat|in favou?r of|instead|please use|replaced by/i.test(s) &&
      !/^\[#|code-block::/.test(s),
  );
  if (index < 0) return {};
  // "This field is deprecated. Please use ...": the replacement may follow in the next one.
  const next = sentences[index + 1];
  const sentence =
    next && /\buse\b|instead|in favou?r|replac/i.test(next) && !/code-block::/.test(next)
      ? `${sentences[index]} ${next}`
      : sentences[index];
  const out = {
    note: sentence
      .replace(/\uE000\d+\uE000/g, '')
      .replace(/``/g, '"')
      .slice(0, 300),
  };
  for (const match of sentence.matchAll(/\uE000(\d+)\uE000|"([a-z_][\w.]*)"|``([a-z_][\w.]*)``/g)) {
    const target = match[1] === undefined ? undefined : refs[Number(match[1])];
    const api = target && /^envoy_v3_api_(field|msg|enum_value|enum)_(.+)$/.exec(target);
    if (api && `envoy.${api[2]}` !== fullName) {
      out.use = `envoy.${api[2]}`;
      break;
    }
    const sibling = match[2] ?? match[3];
    if (sibling && !sibling.includes('.')) {
      out.use = `${fullName.slice(0, fullName.lastIndexOf('.'))}.${sibling}`;
      break;
    }
  }
  return out;
}

const scalarNames = {
  1: 'double',
  2: 'float',
  3: 'int64',
  4: 'uint64',
  5: 'int32',
  6: 'fixed64',
  7: 'fixed32',
  8: 'bool',
  9: 'string',
  12: 'bytes',
  13: 'uint32',
  15: 'sfixed32',
  16: 'sfixed64',
  17: 'sint32',
  18: 'sint64',
};

function typeOf(kind, field) {
  if (kind === 'scalar') return scalarNames[field.scalar];
  if (kind === 'enum') return `e:${field.enum.typeName}`;
  return `m:${field.message.typeName}`;
}

const lowerCamel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

function fieldOf(field, oneofs) {
  const kind = field.fieldKind;
  const out = { n: field.name };
  if (field.jsonName !== lowerCamel(field.name)) out.j = field.jsonName;
  if (kind === 'list') {
    out.t = typeOf(field.listKind, field);
    out.r = 1;
  } else if (kind === 'map') {
    out.t = typeOf(field.mapKind, field);
    out.k = scalarNames[field.mapKey];
  } else {
    out.t = typeOf(kind, field);
  }
  if (field.oneof) out.o = oneofs.indexOf(field.oneof);
  // proto3 `optional`: unset is not the zero value, so rules on it do not apply when unset.
  if (field.presence === 1 && kind === 'scalar') out.p = 1;
  if (field.deprecated) {
    const full = `${field.parent.typeName}.${field.name}`;
    out.d = { ...replacementOf(full) };
    const since = option(field, opt.deprecatedAt);
    if (since) out.d.since = since;
    if (option(field, opt.disallowed)) out.d.fatal = 1;
  }
  if (option(field, opt.fieldStatus)?.workInProgress) out.w = 1;
  const rules = option(field, opt.rules);
  if (rules) {
    const json = toJson(opt.rules.message, rules, { registry });
    if (Object.keys(json).length > 0) out.v = json;
  }
  return out;
}

const fileFlags = (file) => {
  const flags = {};
  if (file.name.startsWith('contrib/')) flags.c = 1;
  if (
    option(file, opt.fileStatusXds)?.workInProgress ||
    option(file, opt.fileStatusUdpa)?.workInProgress
  ) {
    flags.w = 1;
  }
  return flags;
};

const messages = {};
const enums = {};

function addEnum(desc, flags) {
  const values = desc.values.map((v) => {
    const value = [v.name, v.number];
    if (v.deprecated) {
      const d = { ...replacementOf(`${desc.typeName}.${v.name}`) };
      const since = option(v, opt.deprecatedAtEnum);
      if (since) d.since = since;
      if (option(v, opt.disallowedEnum)) d.fatal = 1;
      value.push(d);
    }
    return value;
  });
  enums[desc.typeName] = { v: values, ...flags };
}

function addMessage(desc, flags) {
  const oneofs = desc.oneofs;
  const out = { f: desc.fields.map((f) => fieldOf(f, oneofs)), ...flags };
  if (oneofs.length > 0) {
    out.o = oneofs.map((o) => (option(o, opt.required) ? [o.name, 1] : [o.name]));
  }
  if (option(desc, opt.disabled) || option(desc, opt.ignored)) out.x = 1;
  if (option(desc, opt.messageStatus)?.workInProgress) out.w = 1;
  if (desc.deprecated) out.d = 1;
  messages[desc.typeName] = out;
  for (const nested of desc.nestedMessages) addMessage(nested, flags);
  for (const nested of desc.nestedEnums) addEnum(nested, flags);
}

for (const file of registry.files) {
  const flags = fileFlags(file);
  for (const desc of file.messages) addMessage(desc, flags);
  for (const desc of file.enums) addEnum(desc, flags);
}

/** A replacement names something of the API, or nothing. */
function known(fullName) {
  if (messages[fullName] || enums[fullName]) return true;
  const dot = fullName.lastIndexOf('.');
  const parent = fullName.slice(0, dot);
  const name = fullName.slice(dot + 1);
  return Boolean(
    messages[parent]?.f.some((f) => f.n === name) || enums[parent]?.v.some((v) => v[0] === name),
  );
}
for (const message of Object.values(messages)) {
  for (const field of message.f) if (field.d?.use && !known(field.d.use)) delete field.d.use;
}
for (const e of Object.values(enums)) {
  for (const value of e.v) if (value[2]?.use && !known(value[2].use)) delete value[2].use;
}

const schema = {
  comment:
    "Envoy's v3 API as esteps checks configurations against it; generated by scripts/envoy-descriptors.sh from the sources stacks/envoy/NOTICE names (Apache-2.0).",
  messages: Object.fromEntries(Object.entries(messages).sort(([a], [b]) => (a < b ? -1 : 1))),
  enums: Object.fromEntries(Object.entries(enums).sort(([a], [b]) => (a < b ? -1 : 1))),
};
// Gzipped: a seventh of the size in the package, and a millisecond or two to unpack.
writeFileSync(output, gzipSync(`${JSON.stringify(schema)}\n`, { level: 9 }));
console.log(
  `wrote ${output}: ${Object.keys(messages).length} messages, ${Object.keys(enums).length} enums, ${Buffer.byteLength(JSON.stringify(schema))} bytes`,
);
