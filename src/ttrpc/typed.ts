/**
 * Typed layer over @bufbuild/protobuf v2 service descriptors.
 *
 * The ttrpc core moves bytes; this adapts a generated `GenService` so implementations take and return
 * messages (connect-es' `ServiceImpl` shape, keyed by the methods' local names) and clients get one
 * typed function per method. The wire names are the descriptor's: `typeName` for the service (or an
 * alias, e.g. registering the v2 Task service again as `containerd.task.v3.Task`) and the proto
 * method name. Only unary methods exist in ttrpc's unary protocol; streaming ones are left out.
 */
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type { CallContext, UnaryHandler } from "./call-context.js";
import type { CallOptions, Client } from "./client.js";
import type { Server } from "./server.js";
import { Code, StatusError } from "./status.js";

type UnaryKeys<S extends DescService> = {
  [K in keyof S["method"]]: S["method"][K] extends { methodKind: "unary" } ? K : never;
}[keyof S["method"]];

type InputOf<M> = M extends { input: infer I extends DescMessage } ? I : never;
type OutputOf<M> = M extends { output: infer O extends DescMessage } ? O : never;

/** A server implementation of service `S`: one function per unary method, by local name. */
export type ServiceImpl<S extends DescService> = {
  [K in UnaryKeys<S>]: (
    request: MessageShape<InputOf<S["method"][K]>>,
    ctx: CallContext,
  ) => Promise<MessageInitShape<OutputOf<S["method"][K]>>> | MessageInitShape<OutputOf<S["method"][K]>>;
};

/** A typed client for service `S`: one function per unary method, by local name. */
export type TypedClient<S extends DescService> = {
  [K in UnaryKeys<S>]: (
    request: MessageInitShape<InputOf<S["method"][K]>>,
    opts?: CallOptions,
  ) => Promise<MessageShape<OutputOf<S["method"][K]>>>;
};

type AnyImplFn = (req: unknown, ctx: CallContext) => unknown;

function encodeOutput(method: DescMethod, out: unknown): Uint8Array {
  if (out === undefined || out === null)
    throw new StatusError(Code.Unknown, "ttrpc: marshal called with nil");
  return toBinary(method.output, create(method.output, out as MessageInitShape<DescMessage>));
}

function unaryHandler(method: DescMethod, fn: AnyImplFn, self: unknown): UnaryHandler {
  return (bytes, ctx) => {
    let req: unknown;
    try {
      req = fromBinary(method.input, bytes);
    } catch (err: unknown) {
      // The peer sent bytes that are not a `method.input`: its fault, as a garbage envelope is
      // (InvalidArgument, server-connection.ts). Go's ttrpc answers Internal here (services.go
      // protoUnmarshal), which tells a client the server broke; we do not copy that.
      throw new StatusError(
        Code.InvalidArgument,
        `ttrpc: invalid ${ctx.service}/${ctx.method} request: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const out = fn.call(self, req, ctx);
    if (out instanceof Promise) return out.then((o: unknown) => encodeOutput(method, o));
    return encodeOutput(method, out);
  };
}

/**
 * Registers `impl` for `service` on `server`. Methods missing from `impl` are not registered and so
 * answer Unimplemented "method <name>". `opts.name` registers under another service name.
 */
export function registerService<S extends DescService>(
  server: Server,
  service: S,
  impl: Partial<ServiceImpl<S>>,
  opts: { name?: string } = {},
): void {
  const methods: Record<string, UnaryHandler> = {};
  const table = impl as unknown as Record<string, AnyImplFn | undefined>;
  for (const m of service.methods) {
    if (m.methodKind !== "unary") continue;
    const fn = table[m.localName];
    if (typeof fn === "function") methods[m.name] = unaryHandler(m, fn, impl);
  }
  server.register(opts.name ?? service.typeName, methods);
}

/** Creates a typed client for `service` over `client`; `opts.name` calls it under another service name. */
export function createClient<S extends DescService>(
  client: Client,
  service: S,
  opts: { name?: string } = {},
): TypedClient<S> {
  const name = opts.name ?? service.typeName;
  const out: Record<string, (req: unknown, callOpts?: CallOptions) => Promise<unknown>> = {};
  for (const m of service.methods) {
    if (m.methodKind !== "unary") continue;
    out[m.localName] = async (req: unknown, callOpts?: CallOptions) => {
      const bytes = toBinary(m.input, create(m.input, req as MessageInitShape<DescMessage>));
      const reply = await client.call(name, m.name, bytes, callOpts);
      try {
        return fromBinary(m.output, reply);
      } catch (err: unknown) {
        throw new StatusError(
          Code.Internal,
          `ttrpc: error unmarshalling response: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    };
  }
  return out as TypedClient<S>;
}
