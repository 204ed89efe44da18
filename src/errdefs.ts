/**
 * containerd's error classes (errdefs), as shim handlers must return them.
 *
 * containerd converts a ttrpc status back with `errdefs.FromGRPC`, which recognises the class by code
 * and strips a trailing `": <class text>"` from the message. So every error here has the message
 * `<detail>: <class text>` and the matching gRPC code, exactly as Go's `errdefs.ToGRPC` produces.
 * These are plain {@link StatusError}s: `ttrpc/status.ts` remains the only place mapping errors to statuses.
 */
import { Code, StatusError } from "./ttrpc/status.js";

/** Base of containerd's error classes; `classText` is errdefs' text for the class. */
export abstract class ContainerdError extends StatusError {
  constructor(code: Code, classText: string, detail: string | undefined, options?: { cause?: unknown }) {
    super(code, detail ? `${detail}: ${classText}` : classText, options);
  }
}

type ErrorOptions = { cause?: unknown };

/** `invalid argument` (3): bad ids, bad specs, bad options. */
export class InvalidArgumentError extends ContainerdError {
  override name = "InvalidArgumentError";
  constructor(detail?: string, options?: ErrorOptions) {
    super(Code.InvalidArgument, "invalid argument", detail, options);
  }
}

/** `not found` (5): unknown task or exec id, a process already deleted or finished. */
export class NotFoundError extends ContainerdError {
  override name = "NotFoundError";
  constructor(detail?: string, options?: ErrorOptions) {
    super(Code.NotFound, "not found", detail, options);
  }
}

/** `already exists` (6): duplicate Create or Exec id. */
export class AlreadyExistsError extends ContainerdError {
  override name = "AlreadyExistsError";
  constructor(detail?: string, options?: ErrorOptions) {
    super(Code.AlreadyExists, "already exists", detail, options);
  }
}

/** `failed precondition` (9): an operation the process's current state does not allow. */
export class FailedPreconditionError extends ContainerdError {
  override name = "FailedPreconditionError";
  constructor(detail?: string, options?: ErrorOptions) {
    super(Code.FailedPrecondition, "failed precondition", detail, options);
  }
}

/** `unavailable` (14): a dependency (runhcs, containerd) cannot be reached right now. */
export class UnavailableError extends ContainerdError {
  override name = "UnavailableError";
  constructor(detail?: string, options?: ErrorOptions) {
    super(Code.Unavailable, "unavailable", detail, options);
  }
}

/** `not implemented` (12): an RPC this shim does not support. */
export class NotImplementedError extends ContainerdError {
  override name = "NotImplementedError";
  constructor(detail?: string, options?: ErrorOptions) {
    super(Code.Unimplemented, "not implemented", detail, options);
  }
}

/** `context deadline exceeded` (4): a bounded operation (a runhcs call, a wait) ran out of time. */
export class DeadlineExceededError extends ContainerdError {
  override name = "DeadlineExceededError";
  constructor(detail?: string, options?: ErrorOptions) {
    super(Code.DeadlineExceeded, "context deadline exceeded", detail, options);
  }
}

/** `context canceled` (1): the caller gave up (its AbortSignal fired, its connection went away). */
export class CanceledError extends ContainerdError {
  override name = "CanceledError";
  constructor(detail?: string, options?: ErrorOptions) {
    super(Code.Canceled, "context canceled", detail, options);
  }
}
