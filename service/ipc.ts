/** Messages between the supervisor and a service worker over the cluster IPC channel. */
export const ipcMessages = {
  /** Worker → supervisor, once listening: `{type, version, port}`. */
  ready: 'esteps:ready',
  /** Supervisor → worker: stop accepting, finish what is open, exit 0. */
  drain: 'esteps:drain',
} as const;
