/**
 * What `start` reads on stdin, across containerd versions (containerd `pkg/shim/compat.go`):
 * - ≤ 2.2, and 2.3+ for binaries named `*shim-runhcs-v1*`: a `google.protobuf.Any` of the runtime options
 *   (for us `containerd.runhcs.v1.Options`), or nothing.
 * - 2.3+ otherwise: `containerd.runtime.bootstrap.v1.BootstrapParams`, the options inside `extensions`.
 *
 * Both are tried: the bytes are an Any when they decode as one with no unknown fields, a
 * BootstrapParams otherwise. Only what `start` and the server need survives: debug, where to put the
 * socket, and the options' `default_container_annotations` (they take part in choosing the group).
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
  /** The runtime options' `default_container_annotations` (a container's own annotations win). */
  defaultAnnotations?: Record<string, string>;
}

/** Interprets `start`'s stdin; throws a plain Error with a readable message for garbage. */
export function parseStartInput(bytes: Uint8Array): StartInput {
  if (bytes.length === 0) return { debug: false };
  const any = tryDecodeAny(bytes);
  if (any) return fromOptions(any);
  let params: ReturnType<typeof fromBinary<typeof BootstrapParamsSchema>>;
  try {
    params = fromBinary(BootstrapParamsSchema, bytes);
  } catch (err: unknown) {
    throw new Error(`start: stdin is neither runtime options nor bootstrap params: ${String(err)}`);
  }
  const options = params.extensions.map((e) =>
    e.value === undefined ? { debug: false } : fromOptions(e.value),
  );
  const out: StartInput = {
    debug:
      params.logLevel === LogLevel.DEBUG ||
      params.logLevel === LogLevel.TRACE ||
      options.some((o) => o.debug),
  };
  const defaults = options.find((o) => o.defaultAnnotations)?.defaultAnnotations;
  if (defaults) out.defaultAnnotations = defaults;
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

/** What our runtime options carry for `start`; other option types (runc's, CRI's) carry nothing for us. */
function fromOptions(any: Any): StartInput {
  if (any.typeUrl.split("/").pop() !== OptionsSchema.typeName) return { debug: false };
  let options: ReturnType<typeof fromBinary<typeof OptionsSchema>>;
  try {
    options = fromBinary(OptionsSchema, any.value);
  } catch {
    return { debug: false };
  }
  const annotations = options.defaultContainerAnnotations;
  return Object.keys(annotations).length > 0
    ? { debug: options.debug, defaultAnnotations: { ...annotations } }
    : { debug: options.debug };
}
