/**
 * A general ttrpc (containerd's lightweight RPC over unix sockets / named pipes) library.
 *
 * Knows nothing of containerd: `Server` and `Client` move serialized messages by service/method name,
 * `registerService` / `createClient` add typing from @bufbuild/protobuf service descriptors.
 */
export type { CallContext, UnaryHandler } from "./call-context.js";
export { type CallOptions, Client } from "./client.js";
export {
  Flags,
  type Frame,
  FrameDecoder,
  FrameError,
  MAX_DISCARD_BYTES,
  MAX_MESSAGE_BYTES,
  MessageType,
  ReadState,
} from "./frame.js";
export { Metadata } from "./metadata.js";
export {
  DEFAULT_PEER_FAULT_LIMIT,
  type PeerFaultLimit,
  type PeerFaultReport,
  Server,
  type ServerOptions,
} from "./server.js";
export { Code, StatusError, toStatus } from "./status.js";
export { createClient, registerService, type ServiceImpl, type TypedClient } from "./typed.js";
