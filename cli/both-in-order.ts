/**
 * Two independent reads started together (the project and the engine: asking the engine its
 * version changes nothing), awaited as if one came after the other: when both fail, the
 * first one's error is reported.
 */
export async function bothInOrder<A, B>(first: Promise<A>, second: Promise<B>): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return [a.value, b.value];
}
