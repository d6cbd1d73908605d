import type { TextMutation } from './mutation-kinds.js';

export const textMutations: TextMutation[] = [
  {
    id: 'yaml-ignored-anchor-key',
    refused: false,
    why: 'Envoy drops a key tagged !ignore: the place for YAML anchors that are no configuration',
    apply: (text) => `!ignore anchors:\n  timeouts: &timeout 5s\n${text}`,
  },
  {
    id: 'yaml-bool-as-yes',
    refused: false,
    why: 'yaml-cpp reads yes/no and on/off as booleans',
    apply: (text) => (/: true$/m.test(text) ? text.replace(/: true$/m, ': yes') : undefined),
  },
  {
    id: 'yaml-float-for-a-string',
    refused: false,
    why: 'Envoy turns a YAML float into a JSON string: `stat_prefix: 1.5` is the string "1.5"',
    apply: (text) =>
      /^(\s*)stat_prefix: \S+$/m.test(text)
        ? text.replace(/^(\s*)stat_prefix: \S+$/m, '$1stat_prefix: 1.5')
        : undefined,
  },
  {
    id: 'yaml-integer-for-a-string',
    refused: true,
    why: 'Envoy turns a YAML integer into a JSON number, and protobuf takes no number for a string field: `stat_prefix: 15` is refused',
    apply: (text) =>
      /^(\s*)stat_prefix: \S+$/m.test(text)
        ? text.replace(/^(\s*)stat_prefix: \S+$/m, '$1stat_prefix: 15')
        : undefined,
  },
  {
    id: 'yaml-merge-key',
    refused: true,
    why: 'yaml-cpp has no merge keys: `<<` is read as a field named "<<", which no message has',
    apply: (text) =>
      /^static_resources:$/m.test(text)
        ? text.replace(/^static_resources:$/m, 'static_resources:\n  <<: {}')
        : undefined,
  },
];
