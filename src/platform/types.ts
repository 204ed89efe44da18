/**
 * The platform seam: one interface per OS-dependent concern. `posix.ts` and `windows.ts` implement every
 * interface here with the same shape, and `index.ts` picks one of them once (containerd's
 * `shim_unix.go` / `shim_windows.go`). Nothing outside `src/platform/` looks at `process.platform`.
 */

/** How and when a process ended, as the shim reports it in TaskExit, Wait and Delete. */
export interface ExitInfo {
  /**
   * posix: the exit status for a normal exit, `128 + signal` for a death by signal (the shell and
   * containerd's runc shim convention). Windows: the raw 32-bit process exit code (unsigned).
   * {@link UNKNOWN_EXIT_CODE} when the code cannot be known (see {@link ExitInfo.exitCodeUnknown}).
   */
  readonly exitCode: number;
  /** When the shim observed the exit (containerd's shims also take "now" at reap time). */
  readonly exitedAt: Date;
  /**
   * Set only when the exit was observed without its code (posix: the process was not our child, see
   * `PidfdWatcher`); `exitCode` is then {@link UNKNOWN_EXIT_CODE}.
   */
  readonly exitCodeUnknown?: true;
}

/** The exit status containerd and hcsshim report when the real one is unknown. */
export const UNKNOWN_EXIT_CODE = 255;

/**
 * Waits for processes the shim did not spawn itself (the pid runhcs wrote to its pid file), with their
 * exact exit code, without a polling timer, and without ever losing an exit that happened before `wait`.
 */
export interface ProcessWaiter {
  /**
   * Prepares the process-wide machinery; idempotent. posix: makes this process a child subreaper (so
   * orphans below it, like the helper `runhcs create` leaves behind, become its children) and listens
   * for SIGCHLD. MUST run before the processes to wait for are started (before `runhcs create`).
   */
  init(): void;
  /**
   * Resolves once `pid` has exited. Registration happens synchronously inside the call (posix: an immediate
   * `waitpid` check; Windows: `OpenProcess`), so call it right after reading the pid file. Concurrent calls
   * for one pid share one result. After it settles the pid is released and may be reused by the OS: call
   * `wait` once per process and keep the promise. Rejects with `NotFoundError` when no such process exists.
   * MUST NOT be used for pids spawned through `node:child_process` (their exit belongs to libuv).
   * A pending wait does not keep the event loop alive (like a `process.on("SIGINT")` listener): the
   * shim's server does, and a shim that is shutting down must not be held up by it.
   */
  wait(pid: number): Promise<ExitInfo>;
  /** Number of pids currently being waited for (for diagnostics and leak checks in tests). */
  readonly pending: number;
  /** Stops listening, releases OS resources, rejects pending waits with `UnavailableError`. */
  close(): void;
}

/** Lists the processes below a process, for kill-all and for Pids. */
export interface ProcessTree {
  /** All descendants of `pid` (children, grandchildren, ...), not `pid` itself; `[]` when it has none. */
  descendants(pid: number): Promise<number[]>;
  /**
   * When the process `pid` names now was started, or `undefined` when there is no such process (or its
   * start cannot be read). Tells a process from a later one that reused its pid: `delete` only kills a
   * pid from a pid file when the process started before the file was written.
   */
  startedAt(pid: number): Promise<Date | undefined>;
}

/** Signal handling for Kill: what runhcs is given, and kill-all over a process tree. */
export interface Signals {
  /**
   * Validates the signal number of a containerd Kill request and returns it as the decimal string runhcs
   * takes. Throws `InvalidArgumentError` for a value out of range. No translation: mapping numbers to
   * Windows console control events (WCOW) is runhcs's own job.
   */
  toRunhcsSignal(signal: number): string;
  /**
   * Sends `signal` to one host process; returns false if it no longer exists (ESRCH), true otherwise.
   * Used to kill the remaining processes of a tree (kill-all).
   */
  kill(pid: number, signal: number): boolean;
}

/** Which container process {@link ContainerProcesses.signal} targets, and how to reach it. */
export interface ContainerProcessTarget {
  /** runhcs `--root` ("" = runhcs's default, "default"); names the registry key on Windows. */
  readonly root: string;
  /** The container id (= the HCS compute system id). */
  readonly containerId: string;
  /**
   * Host pid of the `runhcs shim` helper (the pid runhcs wrote to the `--pid-file` of create/exec) that
   * launched the process: the init's helper, or an exec's.
   */
  readonly helperPid: number;
  /** The process has a console (`process.terminal` of its spec): WCOW then always terminates. */
  readonly terminal: boolean;
  /** The container is LCOW (`config.json` has a `linux` section): Linux signal numbers. */
  readonly lcow: boolean;
}

/** Options of {@link ContainerProcesses.signal}. */
export interface ContainerSignalOptions {
  /**
   * posix only: when false, the helper itself is never signalled, even when it has no descendants
   * (kill-all over the remaining processes). Default true. Ignored on Windows.
   */
  readonly helperFallback?: boolean;
}

/**
 * Delivers a Kill to a container process — the process that runhcs helper `helperPid` launched.
 *
 * Why a seam: on posix the simulator's container processes are descendants of the helper, so the helper's
 * process tree is signalled. On Windows they are NOT: runhcs creates them through HCS (inside a silo or a
 * utility VM), so killing host processes would only kill the helper. Windows does what `runhcs kill` does
 * (cmd/runhcs/kill.go), but for any process: the registry value `pid-<helperPid>` gives the container pid,
 * then HcsOpenComputeSystem(containerId) → HcsOpenProcess(pid) → HcsTerminateProcess or HcsSignalProcess.
 * It never falls back to killing a host process.
 */
export interface ContainerProcesses {
  /**
   * Delivers `signal` to the container process of `target`.
   *
   * Throws:
   * - `InvalidArgumentError`: a signal runhcs would not accept (Windows: WCOW 0,1,2,5,6,9,15, LCOW 1..31;
   *   posix: 1..64);
   * - `NotFoundError` ("process already finished"): Windows: no `pid-<helperPid>` in runhcs's state, the
   *   compute system or the process no longer exists, or HCS says it already stopped;
   * - `FailedPreconditionError`: Windows: HCS cannot be used (vmcompute.dll missing), access denied, or the
   *   process cannot be opened for another reason — the message says which.
   * posix: signals every descendant of `helperPid`, or `helperPid` itself when it has none (unless
   * `helperFallback` is false); a process that vanished meanwhile is skipped, nothing is thrown for it.
   */
  signal(target: ContainerProcessTarget, signal: number, options?: ContainerSignalOptions): Promise<void>;
}

/** Who the shim is: (namespace, id, containerd's address) as containerd identifies a shim. */
export interface ShimIdentity {
  readonly namespace: string;
  readonly id: string;
  /** containerd's gRPC address (`-address`), part of the posix socket name. */
  readonly containerdAddress: string;
}

/** Names of the shim's own endpoints. */
export interface ShimAddress {
  /**
   * The Task API address `start` prints and the server listens on. posix: `unix:///run/containerd/s/<hex>`
   * exactly as containerd's `shim.SocketAddress`; Windows: hcsshim's protected pipe name.
   * Throws `InvalidArgumentError` for an unsafe namespace or id, or a socket path that is too long.
   */
  socketAddress(who: ShimIdentity): string;
  /**
   * Where the shim writes its log. posix: the `log` FIFO containerd created in the bundle directory
   * (the shim opens it write-only). Windows: the pipe containerd dials (the shim is the pipe server).
   */
  logEndpoint(who: Pick<ShimIdentity, "namespace" | "id">, bundleDir: string): string;
  /** The path to listen on or dial for an address: posix strips `unix://`; a pipe name is unchanged. */
  toListenPath(address: string): string;
}

/** Options of {@link Platform.createShimAddress}. */
export interface ShimAddressOptions {
  /**
   * posix: directory of the Task API socket instead of `/run/containerd/s` (tests; containerd 2.3+
   * `BootstrapParams.socket_dir`). Ignored on Windows, where pipes have no directory.
   */
  readonly socketDir?: string;
}

/**
 * A listening endpoint handing over connected streams: emits "connection" (a `net.Socket`), "error" and
 * "close"; `net.Server` has the same shape.
 */
export interface StreamListener {
  // biome-ignore lint/suspicious/noExplicitAny: EventEmitter's own listener type (each event has its own arguments)
  on(event: string, listener: (...args: any[]) => void): this;
  /** Stops accepting; connections already handed over stay open. */
  close(): this;
  /** Lets the process exit while this listener is all that is left. */
  unref(): this;
}

/** Every concern of one platform: `posix.ts` and `windows.ts` both export exactly this shape. */
export interface Platform {
  readonly name: "posix" | "windows";
  createProcessWaiter(): ProcessWaiter;
  createProcessTree(): ProcessTree;
  createSignals(): Signals;
  createContainerProcesses(): ContainerProcesses;
  createShimAddress(options?: ShimAddressOptions): ShimAddress;
  /**
   * Listens on a Windows named pipe (`\\.\pipe\...`) that only SYSTEM and Administrators may open, and
   * only from this machine: the Task API pipe and the log pipe (see `windows-pipe-server.ts`). Listens
   * synchronously; throws when the pipe exists already. posix has no named pipes and throws.
   */
  listenPipe(name: string): StreamListener;
}
