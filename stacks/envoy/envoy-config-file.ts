import {
  type Alias,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
} from 'yaml';
import type { EnvoyDocumentKind } from './check-envoy.js';
import { childPath, type EnvoyProblem, indexPath, warning } from './envoy-paths.js';

/** An Envoy configuration file read the way Envoy reads it. */
export interface EnvoyFile {
  /** The configuration as the JSON Envoy's protobuf parser sees; undefined when unreadable. */
  readonly value: unknown;
  readonly kind: EnvoyDocumentKind;
  /** What reading found: syntax errors, and warnings (a duplicate key, a file name Envoy reads as JSON). */
  readonly problems: readonly EnvoyProblem[];
  /** The line (1-based) a path of the configuration starts on, or its nearest parent's. */
  lineOf(path: string): number | undefined;
}

/**
 * Reads a configuration file as Envoy does (MessageUtil::loadFromFile): a name ending in
 * .yaml or .yml is YAML, anything else JSON. Envoy reads YAML with yaml-cpp and turns it into
 * JSON before protobuf's parser sees it, and so does this:
 * - a plain scalar is a boolean when yaml-cpp reads one (`true`, `yes`, `on`, `y`, in lower,
 *   upper or title case), an integer when it is one (`8080`, `0x1F`; beyond 32 bits it becomes
 *   a string of digits, which protobuf still reads as a number), null when empty or `~`/`null`,
 *   and otherwise a string, floats included (`1.5`): protobuf reads strings for number fields;
 * - a quoted or block scalar is a string;
 * - a key tagged `!ignore` is dropped (Envoy's way to keep YAML anchors out of the config);
 * - `<<` is a key like any other: yaml-cpp has no merge keys;
 * - of a key given twice, the last value stays.
 */
export function readEnvoyFile(text: string, fileName: string): EnvoyFile {
  const yaml = /\.ya?ml$/i.test(fileName);
  const problems: EnvoyProblem[] = [];
  let value: unknown;
  let lines = new Map<string, number>();
  if (!yaml) {
    try {
      value = JSON.parse(text);
    } catch (error) {
      const read = readYaml(text, problems);
      if (read.value !== undefined && problems.length === 0) {
        problems.push(
          warning(
            '',
            `Envoy reads a file whose name does not end in .yaml or .yml as JSON, and this is YAML (${error instanceof Error ? error.message : String(error)}): name it .yaml where Envoy reads it`,
          ),
        );
        ({ value, lines } = read);
      } else {
        problems.length = 0;
        problems.push({
          path: '',
          message: `is not JSON: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
    }
  } else {
    ({ value, lines } = readYaml(text, problems));
  }
  return {
    value,
    kind: kindOf(value),
    problems,
    lineOf: (path) => {
      for (let p = path; ; p = parentPath(p)) {
        const line = lines.get(p);
        if (line !== undefined || p === '') return line;
      }
    },
  };
}

/** A document whose top level is a DiscoveryResponse's (`resources`, `version_info`). */
function kindOf(value: unknown): EnvoyDocumentKind {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'bootstrap';
  const keys = Object.keys(value);
  const response = ['version_info', 'versionInfo', 'resources', 'type_url', 'typeUrl', 'nonce'];
  return keys.includes('resources') && keys.every((k) => response.includes(k))
    ? 'resources'
    : 'bootstrap';
}

function parentPath(path: string): string {
  const match = /^(.*?)(\.[^.[\]]+|\[[^\]]*\])$/.exec(path);
  return match ? match[1]! : '';
}

function readYaml(
  text: string,
  problems: EnvoyProblem[],
): { value: unknown; lines: Map<string, number> } {
  const counter = new LineCounter();
  const doc = parseDocument(text, {
    schema: 'failsafe',
    uniqueKeys: false,
    merge: false,
    lineCounter: counter,
    prettyErrors: false,
  });
  const lines = new Map<string, number>();
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const line = counter.linePos(error.pos[0]).line;
      problems.push({
        path: '',
        message: `is not YAML${line ? ` (line ${line})` : ''}: ${error.message.split('\n')[0]}`,
      });
    }
    return { value: undefined, lines };
  }
  const convert = (node: Node | null | undefined, path: string, seen: Set<Node>): unknown => {
    if (node?.range) lines.set(path, counter.linePos(node.range[0]).line);
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = (node as Alias).resolve(doc);
      if (!target || seen.has(target)) return null;
      return convert(target, path, new Set([...seen, target]));
    }
    if (isScalar(node)) return scalar(node);
    if (isSeq(node))
      return node.items.map((item, i) => convert(item as Node, indexPath(path, i), seen));
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        if (isScalar(keyNode) && keyNode.tag === '!ignore') continue;
        const key = isScalar(keyNode)
          ? String(keyNode.value ?? '')
          : JSON.stringify(convert(keyNode, path, seen));
        const at = childPath(path, key);
        if (Object.hasOwn(out, key))
          problems.push(warning(at, `is given twice: Envoy keeps the last one`));
        if (keyNode?.range) lines.set(at, counter.linePos(keyNode.range[0]).line);
        out[key] = convert(pair.value as Node | null, at, seen);
      }
      return out;
    }
    return null;
  };
  return { value: convert(doc.contents as Node | null, '', new Set()), lines };
}

const yamlCppBool = /^(y|yes|true|on|n|no|false|off)$/;

/** A scalar as yaml-cpp and Envoy's converter (ValueUtil::loadFromYaml) read it. */
function scalar(node: Scalar): unknown {
  const raw = String(node.value ?? '');
  if (node.type !== 'PLAIN' && node.type !== undefined) return raw;
  if (raw === '' || raw === '~' || raw === 'null' || raw === 'Null' || raw === 'NULL') return null;
  const flexible =
    raw === raw.toLowerCase() ||
    raw === raw.toUpperCase() ||
    raw === raw.charAt(0).toUpperCase() + raw.slice(1).toLowerCase();
  if (flexible && yamlCppBool.test(raw.toLowerCase())) {
    return ['y', 'yes', 'true', 'on'].includes(raw.toLowerCase());
  }
  const integer = yamlCppInteger(raw);
  if (integer !== undefined) {
    return integer >= -(2n ** 31n) && integer <= 2n ** 31n - 1n
      ? Number(integer)
      : integer.toString();
  }
  return raw;
}

/** An integer as yaml-cpp's conversion reads one: decimal, `0x` hex, `0o` octal. */
function yamlCppInteger(raw: string): bigint | undefined {
  let n: bigint;
  if (/^[-+]?\d+$/.test(raw)) n = BigInt(raw.replace(/^\+/, ''));
  else if (/^0x[0-9a-fA-F]+$/.test(raw)) n = BigInt(raw);
  else if (/^0o[0-7]+$/.test(raw)) n = BigInt(`0o${raw.slice(2)}`);
  else return undefined;
  return n >= -(2n ** 63n) && n <= 2n ** 63n - 1n ? n : undefined;
}
