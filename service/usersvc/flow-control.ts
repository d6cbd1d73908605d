/**
 * What the service asks of Node's http server beyond its public API, in one place: holding a
 * connection's reading, and quieter aborts. Each is checked by an end-to-end test that would
 * fail on a Node that changed it (test/service-http.e2e.test.ts, service-flood.e2e.test.ts).
 */
import type net from 'node:net';

/**
 * Node's http server offers no public way to stop parsing pipelined requests: pausing the
 * socket does not stop a parser that consumes it directly. It does honour its own flow
 * control flag, `socket._paused` (lib/_http_server.js, the same since Node 0.10: set when the
 * client does not read its answers, the parser paused after the chunk in hand, cleared on
 * `drain`), so we raise and lower that same flag. test/service-http.e2e.test.ts measures the
 * memory a flood takes, and would catch a Node that stopped honouring it.
 */
interface FlowControlled {
  _paused?: boolean;
  parser?: { resume(): void } | null;
}

export function holdReading(socket: net.Socket): void {
  const flow = socket as net.Socket & FlowControlled;
  if (flow._paused === true) return;
  flow._paused = true;
  socket.pause();
}

export function releaseReading(socket: net.Socket): void {
  const flow = socket as net.Socket & FlowControlled;
  // While the client does not read its answers, Node holds the socket for its own reason.
  if (flow._paused !== true || socket.writableNeedDrain) return;
  flow._paused = false;
  flow.parser?.resume();
  socket.resume();
}

/**
 * When a connection closes, Node aborts every request parsed on it and not yet answered with
 * an error of its own (`aborted`), its stack trace captured: for a connection closed for
 * memory, about 1,800 of them, and most of the CPU a flood costs (29 s of 88 in a profile
 * of 400 such connections, more in the garbage collector). While such connections close,
 * errors capture no stack; the service logs none anyway (log.ts).
 */
export const quietAborts = (() => {
  let closing = 0;
  let limit = Error.stackTraceLimit;
  return {
    begin(): void {
      if (closing++ === 0) {
        limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
      }
    },
    end(): void {
      if (--closing === 0) Error.stackTraceLimit = limit;
    },
  };
})();

/** True while Node itself holds the socket (its client does not read its answers). */
export function heldByNode(socket: net.Socket): boolean {
  return (socket as net.Socket & FlowControlled)._paused === true;
}
