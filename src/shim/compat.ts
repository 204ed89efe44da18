/**
 * What `start` reads on stdin, across containerd versions (containerd `pkg/shim/compat.go`):
 * - ≤ 2.2, and 2.3+ for binaries named `*shim-runhcs-v1*`: a `google.protobuf.Any` of the runtime options
 *   (for us `containerd.runhcs.v1.Options`), or nothing.
 * - 2.3+ otherwise: `containerd.runtime.bootstrap.v1.BootstrapParams`, the options inside `extensions`.
 *
 * Both are tried: the bytes are an Any when they decode as one with no unknown fields, a
 * BootstrapParams otherwise. Only what the server needs survives: debug, and where to put the socket.
 * `start` imports this module only when stdin is not empty (decoding needs @bufbuild/protobuf and the
 * generated descriptors, which an empty stdin, the common case, does not).
 */
import { fromBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import { OptionsSchema } from "../gen/containerd/runhcs/v1/runhcs_pb.js";
import { BootstrapParamsSchema, LogLevel } from "../gen/containerd/runtime/bootstrap/v1/bootstrap_pb.js";

export { MAX_STDIN_BYTES, readAll, STDIN_TIMEOUT_MS } from "./stdin.js";

/** What `start` passes on to the server it spawns. */
export interface StartInput {
  /** The runtime options asked for debug (or containerd's log level is debug/trace). */
  debug: boolean;
  /** 2.3+: directory for the Task API socket. */
  socketDir?: string;
  /** 2.3+: containerd's ttrpc address, when given in the bootstrap params. */
  ttrpcAddress?: string;
}

/** Interprets `start`'s stdin; throws a plain Error with a readable message for garbage. */
export function parseStartInput(bytes: Uint8Array): StartInput {
  if (bytes.length === 0) return { debug: false };
  const any = tryDecodeAny(bytes);
  if (any) return { debug: optionsDebug(any) };
  let params: ReturnType<typeof fromBinary<typeof BootstrapParamsSchema>>;
  try {
    params = fromBinary(BootstrapParamsSchema, bytes);
  } catch (err: unknown) {
    throw new Error(`start: stdin is neither runtime options nor bootstrap params: ${String(err)}`);
  }
  const out: StartInput = {
    debug:
      params.logLevel === LogLevel.DEBUG ||
      params.logLevel === LogLevel.TRACE ||
      params.extensions.some((e) => e.value !== undefined && optionsDebug(e.value)),
  };
  if (params.socketDir) out.socketDir = params.socketDir;
  if (params.containerdTtrpcAddress) out.ttrpcAddress = params.containerdTtrpcAddress;
  return out;
}

function tryDecodeAny(bytes: Uint8Array): Any | undefined {
  try {
    const any = fromBinary(AnySchema, bytes);
    const unknown = (any as { $unknown?: unknown[] }).$unknown;
    if (unknown && unknown.length > 0) return undefined;
    return any.typeUrl && /^[\w./-]+$/.test(any.typeUrl) ? any : undefined;
  } catch {
    return undefined;
  }
}

/** `debug` of our runtime options; other option types (runc's, CRI's) carry nothing for us. */
function optionsDebug(any: Any): boolean {
  if (any.typeUrl.split("/").pop() !== OptionsSchema.typeName) return false;
  try {
    return fromBinary(OptionsSchema, any.value).debug;
  } catch {
    return false;
  }
}
