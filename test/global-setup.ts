import { connectEngine } from '../cli/engine/client.js';

/**
 * End-to-end tests need the engine `npm run setup` prepared. Without one they fail here,
 * once, with the reason and the next step: they never skip silently.
 */
export default async function globalSetup(): Promise<void> {
  try {
    await connectEngine(process.env, 10_000);
  } catch (err) {
    const e = err as { message: string; hint?: string };
    throw new Error(
      `${e.message} ${e.hint ?? ''} End-to-end tests need it: run npm run setup first.`,
    );
  }
}
