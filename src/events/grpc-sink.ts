import { create, toBinary } from "@bufbuild/protobuf";
import { UnavailableError } from "../errdefs.js";
import { PublishRequestSchema } from "../gen/containerd/services/events/v1/events_pb.js";
import type { EventSink, OutgoingEvent } from "./sink.js";

type Grpc = typeof import("@grpc/grpc-js");

const PUBLISH_METHOD = "/containerd.services.events.v1.Events/Publish";
/** The gRPC metadata key carrying the namespace (containerd `namespaces/grpc.go`). */
const NAMESPACE_HEADER = "containerd-namespace";

/**
 * `Events/Publish` over gRPC on containerd's main socket (`-address`): the fallback when containerd
 * gave neither a ttrpc address nor a publish binary. containerd wraps the event into an envelope with
 * its own timestamp and the namespace from the `containerd-namespace` header. grpc-js speaks unix
 * sockets only, so this sink is for Linux; on Windows containerd always sets `TTRPC_ADDRESS`.
 * grpc-js is loaded on first use: it is large, and most shims never take this path.
 */
export class GrpcPublishSink implements EventSink {
  readonly #target: string;
  #grpc: Promise<{ grpc: Grpc; client: InstanceType<Grpc["Client"]> }> | undefined;

  constructor(address: string) {
    this.#target = address.startsWith("unix://") ? address : `unix://${address}`;
  }

  async send(e: OutgoingEvent, signal: AbortSignal): Promise<void> {
    this.#grpc ??= import("@grpc/grpc-js").then((grpc) => ({
      grpc,
      client: new grpc.Client(this.#target, grpc.credentials.createInsecure()),
    }));
    const { grpc, client } = await this.#grpc;
    const metadata = new grpc.Metadata();
    metadata.set(NAMESPACE_HEADER, e.namespace);
    const request = create(PublishRequestSchema, { topic: e.topic, event: e.event });
    return new Promise((resolve, reject) => {
      const call = client.makeUnaryRequest(
        PUBLISH_METHOD,
        (r: typeof request) => Buffer.from(toBinary(PublishRequestSchema, r)),
        (b: Buffer) => b,
        request,
        metadata,
        (err) => {
          signal.removeEventListener("abort", cancel);
          if (err)
            reject(new UnavailableError(`publish ${e.topic} over gRPC: ${err.message}`, { cause: err }));
          else resolve();
        },
      );
      const cancel = () => call.cancel();
      signal.addEventListener("abort", cancel, { once: true });
    });
  }

  close(): void {
    this.#grpc?.then(({ client }) => client.close()).catch(() => undefined);
    this.#grpc = undefined;
  }
}
