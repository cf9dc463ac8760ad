// Exiting without losing output: process.exit() drops what a pipe has not taken yet (a reader
// such as jq or head reads more slowly than we write), so the exit waits until it has.

/** Resolves once everything written to `stream` so far has been handed to the OS, or the reader went away. */
export function flushed(
  stream: NodeJS.WritableStream & { writableLength?: number; destroyed?: boolean },
): Promise<void> {
  if (stream.destroyed === true || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("error", done);
      stream.off("close", done);
      resolve();
    };
    stream.once("error", done);
    stream.once("close", done);
    // Writes complete in order: this empty one's callback runs after every earlier write.
    stream.write("", () => done());
  });
}

/** Like flushed(), but gives up after `deadlineMs` and discards what is left (a client that stopped reading). */
export async function flushedWithin(stream: NodeJS.WriteStream, deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = await Promise.race([
    flushed(stream).then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), deadlineMs);
    }),
  ]);
  clearTimeout(timer);
  if (gaveUp) stream.destroy();
}

/** Exits with `code` once stdout and stderr have handed everything to the OS. */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
