import { up } from 'esteps/testing';
import { expect, test } from 'vitest';

/**
 * A test against the stack itself: `up` builds and starts it, with a project and a host port
 * of this test's own (test files run at once without clashing), and returns once the stack's
 * readiness probe answers; `await using` removes it when the test ends, passed or failed.
 * Run it with `npm test` (see package.json).
 */
test('the service answers with a greeting', { timeout: 300_000 }, async () => {
  // A build and a start take longer than vitest's default 5 s: hence the timeout above.
  await using stack = await up({ file: new URL('./esteps.stack.ts', import.meta.url) });
  const reply = await fetch(`${stack.url('web')}/`);
  expect(reply.status).toBe(200);
  expect(await reply.json()).toMatchObject({ hello: 'world' });
});
