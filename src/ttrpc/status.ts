/**
 * gRPC status codes and the one place where a thrown value becomes a wire status.
 *
 * ttrpc carries errors as `google.rpc.Status` in the Response frame. Handlers throw; the server
 * calls {@link toStatus} and nothing else decides codes. Anything that is not a {@link StatusError}
 * (or does not carry a numeric gRPC `code`) becomes `Unknown` with the error's message.
 */

/** gRPC status codes (the numbering is the wire contract). */
export enum Code {
  OK = 0,
  Canceled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
}

/** An error with a gRPC status code: what a handler throws, and what a client call rejects with. */
export class StatusError extends Error {
  override name = "StatusError";
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The status carried by any thrown value (see {@link toStatus}), as a StatusError. */
  static from(err: unknown): StatusError {
    if (err instanceof StatusError) return err;
    const { code, message } = toStatus(err);
    return new StatusError(code, message, { cause: err });
  }
}

/** The wire status for a thrown value: the single error-to-status mapping of the project. */
export function toStatus(err: unknown): { code: Code; message: string } {
  if (err instanceof StatusError) return { code: err.code, message: err.message };
  if (err instanceof Error) {
    if (err.name === "AbortError") return { code: Code.Canceled, message: err.message || "canceled" };
    if (err.name === "TimeoutError") {
      return { code: Code.DeadlineExceeded, message: err.message || "deadline exceeded" };
    }
    return { code: Code.Unknown, message: err.message };
  }
  return { code: Code.Unknown, message: String(err) };
}
