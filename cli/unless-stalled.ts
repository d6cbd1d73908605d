/**
 * Settles as `work` does, or rejects with `stalled()` when this process runs out of anything
 * to wait on while `work` is still pending: a promise that can never settle (a stack file's
 * top-level `await` on nothing, say). Node.js would otherwise end such a process silently,
 * with exit code 13 ("unsettled top-level await"), which is also the code of SECRET_MISMATCH.
 *
 * Node.js emits 'beforeExit' when its event loop is empty; rejecting then schedules more
 * work, so the caller reports the error as any other. With `last`, the rejection waits one
 * turn so that a more precise guard further in (which rejects at once) is the one reported.
 */
export function unlessStalled<T>(
  work: Promise<T>,
  stalled: () => Error,
  options: { readonly last?: boolean } = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let pending = true;
    const onIdle = () => {
      if (!options.last) return fail();
      setImmediate(() => {
        if (pending) fail();
      });
    };
    const fail = () => {
      pending = false;
      process.off('beforeExit', onIdle);
      reject(stalled());
    };
    process.on('beforeExit', onIdle);
    work.then(
      (value) => {
        pending = false;
        process.off('beforeExit', onIdle);
        resolve(value);
      },
      (err: unknown) => {
        pending = false;
        process.off('beforeExit', onIdle);
        reject(err);
      },
    );
  });
}
