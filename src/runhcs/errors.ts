/**
 * {@link RuntimeError}: a runhcs invocation that failed, with enough context (argv, exit code, runhcs's
 * own message) to log it and to branch on it. It is deliberately NOT a gRPC status class: the caller
 * decides what a runhcs failure means (e.g. Kill swallows `container is stopped`), and whatever it
 * lets through maps to `Unknown` in `ttrpc/status.ts` with runhcs's message.
 */

/** What a {@link RuntimeError} records. */
export interface RuntimeErrorInit {
  /** Subcommand name (`create`, `state`, ...). */
  command: string;
  /** Full argv, binary first. */
  argv: readonly string[];
  /** Exit code, or null when runhcs did not exit normally (killed by a signal, failed to spawn). */
  exitCode: number | null;
  /** Signal that ended runhcs, if any. */
  signal?: string | null;
  /** runhcs's own message: the last error line of its JSON log, else its stderr tail; may be "". */
  runtimeMessage: string;
  /** Overrides the default summary (`did not terminate successfully`) when runtimeMessage is empty. */
  summary?: string;
  cause?: unknown;
}

/** A failed runhcs call. `message` = `runhcs <command>: <runhcs message> (exit status N)`. */
export class RuntimeError extends Error {
  override name = "RuntimeError";
  readonly command: string;
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly runtimeMessage: string;

  constructor(init: RuntimeErrorInit) {
    const text = init.runtimeMessage || init.summary || "did not terminate successfully";
    const status =
      init.exitCode !== null
        ? ` (exit status ${init.exitCode})`
        : init.signal
          ? ` (signal ${init.signal})`
          : "";
    super(
      `runhcs ${init.command}: ${text}${status}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.command = init.command;
    this.argv = [...init.argv];
    this.exitCode = init.exitCode;
    this.signal = init.signal ?? null;
    this.runtimeMessage = init.runtimeMessage;
  }
}

/** Messages of an error and its `cause` chain (bounded, in case of a cycle). */
function messages(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 8 && cur instanceof Error; i++) {
    out.push(cur.message);
    if (cur instanceof RuntimeError) out.push(cur.runtimeMessage);
    cur = cur.cause;
  }
  return out;
}

function matches(err: unknown, needles: readonly string[]): boolean {
  return messages(err).some((m) => {
    const lower = m.toLowerCase();
    return needles.some((n) => lower.includes(n));
  });
}

/**
 * True when runhcs said `container is stopped` (kill/exec/pause/resume/ps/resize-tty on a container
 * that is not running). The containerd shim's Kill treats this as success.
 */
export function isContainerStopped(err: unknown): boolean {
  return matches(err, ["container is stopped"]);
}

/**
 * True when runhcs does not know the id: `state '<key>' is not present for ID '<id>'`, or a generic
 * `not found` / `does not exist` from HCS or the registry.
 */
export function isNotFound(err: unknown): boolean {
  return matches(err, ["is not present for id", "not found", "does not exist"]);
}

/**
 * True when runhcs refused to create an id it already has: `container <id> already exists` (hcsshim
 * `internal/regstate` Key.Create). That state is another container's: a failed create must not delete it.
 */
export function isAlreadyExists(err: unknown): boolean {
  return matches(err, ["already exists", "container with id exists"]);
}
