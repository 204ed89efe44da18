import { FailedPreconditionError, NotFoundError } from "../errdefs.js";
import { isContainerStopped, isNotFound, RuntimeError } from "../runhcs/index.js";
import { Code, StatusError } from "../ttrpc/status.js";

/**
 * A runhcs failure as the Task API reports it: runhcs's "not found" is NotFound, "container is stopped"
 * is FailedPrecondition, any other failure is Unknown with runhcs's own message. Errors that already
 * carry a status (deadline, cancel, errdefs classes) pass through.
 */
export function runhcsFailure(err: unknown, what: string): Error {
  if (err instanceof StatusError || !(err instanceof RuntimeError))
    return err instanceof Error ? err : new Error(String(err));
  if (isNotFound(err)) return new NotFoundError(`${what}: ${err.message}`, { cause: err });
  if (isContainerStopped(err)) return new FailedPreconditionError(`${what}: ${err.message}`, { cause: err });
  return new StatusError(Code.Unknown, `${what}: ${err.message}`, { cause: err });
}
