/**
 * The mutation set: changes to real configurations that Envoy refuses (mutations-refused.ts,
 * mutations-refused-http.ts) and that it accepts (mutations-accepted.ts, and mutations-text.ts
 * for what only YAML can say). Each says why its verdict is Envoy's: from Envoy's sources and
 * documentation, never from the checker it measures.
 */
export type { Mutation, TextMutation } from './mutation-kinds.js';
export { acceptedMutations } from './mutations-accepted.js';
export { refusedMutations } from './mutations-refused.js';
export { textMutations } from './mutations-text.js';
