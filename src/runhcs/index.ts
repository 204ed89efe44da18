/** The runhcs CLI client: one module per subcommand, one shared {@link Runhcs.run}. */
export { absolutePath, isNamedPipe, logPath, PIPE_PREFIX } from "./args.js";
export { RUNHCS_BINARY_ENV, resolveBinary } from "./binary.js";
export { type CreateOptions, createArgs } from "./create.js";
export { type DeleteOptions, deleteArgs } from "./delete.js";
export {
  isAlreadyExists,
  isContainerStopped,
  isNotFound,
  RuntimeError,
  type RuntimeErrorInit,
} from "./errors.js";
export { type ExecOptions, execArgs } from "./exec.js";
export { type GlobalOptions, globalArgs, type LogFormat } from "./global-args.js";
export { type KillOptions, killArgs } from "./kill.js";
export { listArgs, parseList } from "./list.js";
export { lastErrorMessage } from "./log-tail.js";
export { type PauseOptions, pauseArgs } from "./pause.js";
export {
  type AwaitPidFileOptions,
  awaitPidFile,
  PidFileError,
  type PidFileProblem,
  parsePid,
  type ReadPidFileOptions,
  readPidFile,
} from "./pid-file.js";
export { type PsOptions, parsePs, psArgs } from "./ps.js";
export { type ResizeTtyOptions, resizeTtyArgs } from "./resize-tty.js";
export { type ResumeOptions, resumeArgs } from "./resume.js";
export {
  type AttachedExec,
  type AttachedExecOptions,
  type CallOptions,
  DEFAULT_TIMEOUT_MS,
  type IoCallOptions,
  RUNHCS_TIMEOUT_ENV,
  Runhcs,
  type RunhcsOptions,
} from "./runhcs.js";
export {
  type CallerStdio,
  type CommandResult,
  type CommandRunner,
  type CommandSpec,
  createProcessRunner,
  type SpawnedStdio,
  type StdioItem,
} from "./runner.js";
export { type StartOptions, startArgs } from "./start.js";
export {
  type ContainerState,
  type ContainerStatus,
  parseState,
  type StateOptions,
  stateArgs,
} from "./state.js";
