/**
 * The esteps commands a hint spells out, with the stack and project the user chose: a hint
 * written below the commands says `esteps up -p X`, and from the user's folder that line
 * without their `-f app/stack.ts` would plan another stack (the folder's, or step 1). The
 * user's own `-f`/`--stack`/`-p` go right after the command; the hint's own are dropped.
 */
import { EstepsError } from '../errors.js';

export interface StackChoiceArgs {
  readonly file?: string;
  readonly stack?: string;
  readonly project?: string;
}

const projectCommands = ['up', 'down', 'ps', 'logs', 'smoke', 'hotpatch', 'watch', 'render'];
/** Options that take a value, so the value is skipped (or dropped with them). */
const valued = new Set([
  '-p',
  '--project',
  '-f',
  '--file',
  '--stack',
  '--tail',
  '--source',
  '--scale',
  '--debounce',
  '-o',
]);
const chosen = new Set(['-p', '--project', '-f', '--file', '--stack']);
const command = new RegExp(`\\besteps (${projectCommands.join('|')})\\b`, 'g');

export function qualifyHint(hint: string, choice: StackChoiceArgs): string {
  const args = choiceArgs(choice);
  if (args.length === 0) return hint;
  let out = '';
  let at = 0;
  for (const match of hint.matchAll(command)) {
    const start = match.index + match[0].length;
    if (start < at) continue;
    const tail = readTail(hint.slice(start));
    const own = match[1] === 'logs' ? args.map((a) => (a === '-f' ? '--file' : a)) : args;
    out += `${hint.slice(at, match.index)}${match[0]} ${own.join(' ')}${tail.kept}`;
    at = start + tail.length;
  }
  return out + hint.slice(at);
}

/** The error with its hint qualified (the same error when nothing changes). */
export function qualifyError(error: EstepsError, choice: StackChoiceArgs): EstepsError {
  if (!error.hint) return error;
  const hint = qualifyHint(error.hint, choice);
  if (hint === error.hint) return error;
  return new EstepsError(error.code, error.message, {
    hint,
    cause: error.cause ?? error,
    ...(error.details && { details: error.details }),
  });
}

function choiceArgs(choice: StackChoiceArgs): string[] {
  return [
    ...(choice.file !== undefined ? ['-f', quote(choice.file)] : []),
    ...(choice.stack !== undefined ? ['--stack', quote(choice.stack)] : []),
    ...(choice.project !== undefined ? ['-p', quote(choice.project)] : []),
  ];
}

function quote(value: string): string {
  return /^[\w./@:+-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * The options after a command in a hint (up to the first word that is no option or value),
 * without the stack and project ones: `-p step1 --volumes, then` keeps ` --volumes`.
 */
function readTail(text: string): { kept: string; length: number } {
  let kept = '';
  let length = 0;
  for (;;) {
    const flag = /^ (--?[a-z][\w-]*)/.exec(text.slice(length));
    if (!flag) break;
    const name = flag[1]!;
    let token = flag[0];
    if (valued.has(name)) {
      const value = /^ ([^\s`;,)]+?)(?=[\s`;,)]|\.(?:\s|$)|$)/.exec(
        text.slice(length + token.length),
      );
      if (value) token += value[0];
    }
    if (!chosen.has(name)) kept += token;
    length += token.length;
  }
  return { kept, length };
}
