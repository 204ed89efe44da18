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

/** What {@link ShimHosting.listenTaskApi} needs of a ttrpc server (src/ttrpc's `Server` has this shape). */
export interface TaskApiServer {
  /** Binds a unix socket at `path`, replacing a stale socket file nobody answers on. */
  listen(path: string): Promise<void>;
  /** Serves the connections of a listener that listens already. */
  serve(listener: StreamListener): void;
}

/** The ways the shim's log reaches containerd; {@link ShimHosting.openShimLog} takes the one of this OS. */
export interface ShimLogWays<T> {
  /** posix: the `log` FIFO containerd created in the bundle, which the shim opens for writing. */
  fifo(path: string): T;
  /** Windows: a pipe the shim serves (listening already) and containerd dials. */
  pipeServer(listener: StreamListener): T;
}

/**
 * The ways the `delete` action ends a server of the task that no longer answers on its address (one that
 * answers is asked over the Task API first, on every OS); {@link ShimHosting.endStrayServer} takes the one
 * of this OS.
 */
export interface StrayServerWays<T> {
  /**
   * Windows: nothing is left to end. A pipe goes away with its server, and without /proc a pid's command
   * line cannot tell a hung server from a process that reused its pid, so no pid is signalled.
   */
  nothingLeft(): T;
  /**
   * posix: signal the pid of `shim.pid` once its command line shows it serves the address (a reused pid is
   * never signalled); with no such server, remove the socket file if nobody answers on it.
   */
  signalByPid(): T;
}

/** The shim binary's own endpoints: where its server listens and logs, and how a stray one is ended. */
export interface ShimHosting {
  /**
   * Listens for the Task API on `listenPath` so that only containerd's side can connect. posix: creates the
   * socket directory (0700, as containerd's `NewSocket`), binds the socket, makes it 0600 (as containerd's
   * shims do); an abstract socket has neither. Windows: a pipe only SYSTEM and Administrators may open
   * ({@link Platform.listenPipe}), not `net.Server`'s default ACL.
   */
  listenTaskApi(listenPath: string, server: TaskApiServer): Promise<void>;
  /** Opens the log `endpoint` ({@link ShimAddress.logEndpoint}) in this OS's way. */
  openShimLog<T>(endpoint: string, ways: ShimLogWays<T>): T;
  /** Runs this OS's way of ending a stray server. */
  endStrayServer<T>(ways: StrayServerWays<T>): T;
  /**
   * Runs `fn` holding the start lock of the server that listens (or will) on `listenPath`: across
   * processes, one `start` at a time decides whether a group's server runs, replaces a stale one and
   * spawns it. Released when `fn` settles, or by the OS when the holder dies. posix: a flock on a lock file
   * beside the socket; Windows: a named mutex.
   */
  withStartLock<T>(listenPath: string, fn: () => Promise<T>): Promise<T>;
}

/** The ways containerd hands a task's stdio to the shim; {@link Platform.pickStdio} takes the one of this OS. */
export interface StdioWays<T> {
  /** posix: FIFOs containerd created and opened its ends of (or files); the shim opens the other ends. */
  fifos(): T;
  /** Windows: named pipes containerd's side serves; the shim dials them. */
  namedPipes(): T;
}

/** What the container runtime of this OS asks of the shim and tells it. */
export interface ContainerConventions {
  /**
   * Create needs the container's layer folders (from the rootfs mounts or `config.json`): runhcs cannot
   * create a container without them. posix (the simulator) runs containers without layers.
   */
  readonly requiresLayerFolders: boolean;
  /**
   * The exit status the `delete` action reports for an init process it had to kill. posix: 128 + SIGKILL,
   * as containerd's runc shim reports. Windows: {@link UNKNOWN_EXIT_CODE}: ending the runhcs helper tells
   * nothing of how the container's process ended.
   */
  readonly killedExitStatus: number;
}

/** How this OS names and finds executables (go-runhcs `getCommandPath`). */
export interface ExecutableLookup {
  /** runhcs's file name: `runhcs.exe` on Windows; elsewhere the simulator's `runhcs`. */
  readonly runhcsName: string;
  /**
   * The absolute directories of PATH in `env`, in order; relative ones (the current directory) are left
   * out. Windows: the variable's name in any case (`Path` is common), `;`-separated.
   */
  pathDirs(env: NodeJS.ProcessEnv): string[];
  /** `name` in `dir`, joined as this OS's paths are. */
  join(dir: string, name: string): string;
}

/**
 * Every concern of one platform: `posix.ts` and `windows.ts` both export exactly this shape. `name` is for
 * tests and diagnostics; code outside src/platform never branches on it (test/unit/ci/platform-seam.test.ts).
 */
export interface Platform extends ShimHosting, ContainerConventions {
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
  /** Runs this OS's way of relaying a task's stdio. */
  pickStdio<T>(ways: StdioWays<T>): T;
  readonly executables: ExecutableLookup;
}
