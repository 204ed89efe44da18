/**
 * Reading `start`'s stdin (the runtime options or bootstrap params, decoded by `compat.ts`), bounded in
 * size and time. Separate from the decoding so that `start` loads no protobuf code for an empty stdin.
 */

/** Largest stdin `start` accepts (style item 12). */
export const MAX_STDIN_BYTES = 10 * 1024 * 1024;

/** How long `start` waits for stdin's end (containerd writes the options and closes it at once). */
export const STDIN_TIMEOUT_MS = 10_000;

/**
 * Reads a stream (stdin) to the end, refusing more than {@link MAX_STDIN_BYTES} and a stream that does
 * not end within `timeoutMs` (a terminal, a caller that keeps stdin open): an error, never a hang.
 */
export async function readAll(
  stream: NodeJS.ReadableStream,
  max = MAX_STDIN_BYTES,
  timeoutMs = STDIN_TIMEOUT_MS,
): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  const read = (async () => {
    for await (const chunk of stream) {
      const b = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      total += b.length;
      if (total > max) throw new Error(`start: stdin is larger than ${max} bytes`);
      chunks.push(b);
    }
  })();
  read.catch(() => undefined); // after a timeout, a late stream error has nobody to tell
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `start: stdin did not end within ${timeoutMs} ms (containerd closes it after the options)`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([read, timedOut]);
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}
