import type { request as undiciRequest } from 'undici';

let undici: Promise<typeof import('undici')> | undefined;

/**
 * undici's `request`, loaded on first use: undici is by far the largest module in the CLI
 * bundle, and most runs of esteps (--help, ps, down, logs, render) never make an HTTP call.
 */
export async function httpRequest(
  ...args: Parameters<typeof undiciRequest>
): ReturnType<typeof undiciRequest> {
  undici ??= import('undici');
  const loaded = await undici;
  // undici is CommonJS: bundled into a chunk of its own, its exports are on `default`.
  const request =
    loaded.request ?? (loaded as unknown as { default: typeof loaded }).default.request;
  return request(...args);
}
