import type { Ora } from 'ora';

/**
 * Progress for long operations, always on stderr so stdout stays for results. A spinner on a
 * terminal; plain timestamped-free lines otherwise (CI logs, pipes); nothing with `quiet`.
 */
export interface Progress {
  /** Starts (or moves on to) a step. */
  start(text: string): void;
  /** Updates the current step's text (e.g. the current build step). */
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  /** A line that stays, outside any step. */
  info(text: string): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Nothing at all. @default false */
  quiet?: boolean;
  /** Where progress goes (the CLI: stderr). Without one, nothing is shown. */
  stream?: NodeJS.WriteStream;
  /** Colour on a terminal (off with NO_COLOR). @default true */
  color?: boolean;
}

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream;
  if (options.quiet || !stream) return silentProgress;
  // A terminal that reports no width (a pty nobody sized, e.g. `script` with no input
  // terminal): ora would clear an unbounded number of lines, forever. Plain lines instead.
  if (!stream.isTTY || !stream.columns) return plainProgress(stream);
  return spinnerProgress(stream, options.color ?? true);
}

const silentProgress: Progress = {
  start() {},
  update() {},
  succeed() {},
  fail() {},
  info() {},
  stop() {},
};

function plainProgress(stream: NodeJS.WritableStream): Progress {
  let current: string | undefined;
  const write = (line: string) => stream.write(`${line}\n`);
  return {
    start(text) {
      current = text;
      write(`- ${text}`);
    },
    update(text) {
      // Plain output keeps one line per step: updates (build steps) would flood CI logs.
      current = text;
    },
    succeed(text) {
      write(`✔ ${text ?? current ?? ''}`);
      current = undefined;
    },
    fail(text) {
      write(`✖ ${text ?? current ?? ''}`);
      current = undefined;
    },
    info(text) {
      write(text);
    },
    stop() {
      current = undefined;
    },
  };
}

function spinnerProgress(stream: NodeJS.WriteStream, color: boolean): Progress {
  // ora (with chalk and its spinners) loads only on a terminal, while the command starts: a
  // step begun before it arrives gets its spinner when it does.
  let ora: typeof import('ora').default | undefined;
  let spinner: Ora | undefined;
  let pending: string | undefined;
  const spin = (text: string) =>
    ora!({ text, stream, color: color ? 'cyan' : false, isEnabled: true }).start();
  void import('ora').then(
    (loaded) => {
      ora = loaded.default;
      if (pending !== undefined) spinner = spin(pending);
      pending = undefined;
    },
    () => undefined,
  );
  const end = (how: 'succeed' | 'fail', text: string | undefined) => {
    if (spinner) spinner[how](text);
    else if (pending !== undefined)
      stream.write(`${how === 'succeed' ? '✔' : '✖'} ${text ?? pending}\n`);
    spinner = undefined;
    pending = undefined;
  };
  return {
    start(text) {
      spinner?.stop();
      spinner = undefined;
      if (ora) spinner = spin(text);
      else pending = text;
    },
    update(text) {
      if (spinner) spinner.text = text;
      else if (pending !== undefined) pending = text;
    },
    succeed(text) {
      end('succeed', text);
    },
    fail(text) {
      end('fail', text);
    },
    info(text) {
      if (spinner?.isSpinning) {
        spinner.clear();
        stream.write(`${text}\n`);
        spinner.render();
      } else {
        stream.write(`${text}\n`);
      }
    },
    stop() {
      spinner?.stop();
      spinner = undefined;
      pending = undefined;
    },
  };
}
