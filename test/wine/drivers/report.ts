/**
 * Shared by the Wine drivers (Windows node programs): `runDriver(fn)` runs the driver body and writes its
 * JSON result, or `{ error }`, to the result file named by argv[2] (written atomically: temp + rename),
 * then exits so that no stray handle keeps node.exe alive.
 */
import fs from "node:fs";

/** The driver's arguments after the result file. */
export const driverArgs: readonly string[] = process.argv.slice(3);

/** Runs `body` and reports. */
export function runDriver(body: () => Promise<unknown>): void {
  const file = process.argv[2];
  if (!file) throw new Error("usage: node.exe <driver>.js <result file> [args...]");
  const write = (value: unknown): void => {
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(value));
    fs.renameSync(tmp, file);
  };
  body().then(
    (result) => {
      write(result);
      process.exit(0);
    },
    (err: unknown) => {
      write({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      process.exit(1);
    },
  );
}

/** Rejects after `ms` with `what` (drivers bound every wait). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/**
 * Removes a driver's temp dir. Under Wine a process that has ended can still hold its current directory
 * (a bundle) for a moment after its exit was observed, more so on a loaded machine: retry for up to ~6 s.
 * Never throws (it runs in `finally` blocks, where a throw would replace the driver's report): returns why
 * the dir could not be removed, typically a process of the run still holding a file in it.
 */
export function removeTemp(dir: string): string | undefined {
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 30, retryDelay: 200 });
    return undefined;
  } catch (err: unknown) {
    return err instanceof Error ? err.message : String(err);
  }
}
