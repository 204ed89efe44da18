import { create, toBinary } from "@bufbuild/protobuf";
import { credentials, Client as GrpcClient, Metadata } from "@grpc/grpc-js";
import { UnavailableError } from "../errdefs.js";
import { PublishRequestSchema } from "../gen/containerd/services/events/v1/events_pb.js";
import type { EventSink, OutgoingEvent } from "./sink.js";

const PUBLISH_METHOD = "/containerd.services.events.v1.Events/Publish";
/** The gRPC metadata key carrying the namespace (containerd `namespaces/grpc.go`). */
const NAMESPACE_HEADER = "containerd-namespace";

/**
 * `Events/Publish` over gRPC on containerd's main socket (`-address`): the fallback when containerd
 * gave neither a ttrpc address nor a publish binary. containerd wraps the event into an envelope with
 * its own timestamp and the namespace from the `containerd-namespace` header. grpc-js speaks unix
 * sockets only, so this sink is for Linux; on Windows containerd always sets `TTRPC_ADDRESS`.
 */
export class GrpcPublishSink implements EventSink {
  readonly #target: string;
  #client: GrpcClient | undefined;

  constructor(address: string) {
    this.#target = address.startsWith("unix://") ? address : `unix://${address}`;
  }

  send(e: OutgoingEvent, signal: AbortSignal): Promise<void> {
    this.#client ??= new GrpcClient(this.#target, credentials.createInsecure());
    const client = this.#client;
    const metadata = new Metadata();
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
    this.#client?.close();
    this.#client = undefined;
  }
}
