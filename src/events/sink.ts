import { spawn } from "node:child_process";
import { create, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { UnavailableError } from "../errdefs.js";
import {
  EnvelopeSchema,
  ForwardRequestSchema,
} from "../gen/containerd/services/events/ttrpc/v1/events_pb.js";
import { Client } from "../ttrpc/index.js";

/** An event ready to leave the shim. */
export interface OutgoingEvent {
  topic: string;
  namespace: string;
  timestamp: Date;
  event: Any;
}

/** Where events go: containerd's ttrpc events service, or the legacy publish binary. */
export interface EventSink {
  /** Delivers one event; rejects when containerd did not take it (the publisher retries). */
  send(event: OutgoingEvent, signal: AbortSignal): Promise<void>;
  close(): void;
}

const EVENTS_SERVICE = "containerd.services.events.ttrpc.v1.Events";
/** The ttrpc metadata key carrying the namespace (containerd `namespaces/ttrpc.go`). */
export const NAMESPACE_METADATA_KEY = "containerd-namespace-ttrpc";

/**
 * `Events/Forward` over ttrpc on containerd's `TTRPC_ADDRESS`. The connection is made on first use
 * and made again after it breaks (containerd restarts), so a restart loses no event.
 */
export class TtrpcForwardSink implements EventSink {
  readonly #address: string;
  #client: Promise<Client> | undefined;

  constructor(address: string) {
    this.#address = address;
  }

  async send(e: OutgoingEvent, signal: AbortSignal): Promise<void> {
    const request = create(ForwardRequestSchema, {
      envelope: create(EnvelopeSchema, {
        timestamp: timestampFromDate(e.timestamp),
        namespace: e.namespace,
        topic: e.topic,
        event: e.event,
      }),
    });
    const pending = this.#client ?? this.#connect(signal);
    try {
      const client = await pending;
      await client.call(EVENTS_SERVICE, "Forward", toBinary(ForwardRequestSchema, request), {
        metadata: [[NAMESPACE_METADATA_KEY, e.namespace]],
        signal,
      });
    } catch (err: unknown) {
      // Drop the connection on any failure: the next attempt dials afresh.
      if (this.#client === pending) this.#client = undefined;
      pending.then((c) => c.close()).catch(() => undefined);
      throw err;
    }
  }

  #connect(signal: AbortSignal): Promise<Client> {
    const connecting = Client.connect(this.#address, { signal });
    this.#client = connecting;
    return connecting;
  }

  close(): void {
    this.#client?.then((c) => c.close()).catch(() => undefined);
    this.#client = undefined;
  }
}

/**
 * The legacy contract: `<publish-binary> --address <address> publish --topic <topic> --namespace <ns>`
 * with the event, a protobuf `google.protobuf.Any`, on stdin (containerd's `publish` command).
 */
export class PublishBinarySink implements EventSink {
  constructor(
    readonly binary: string,
    readonly address: string,
  ) {}

  send(e: OutgoingEvent, signal: AbortSignal): Promise<void> {
    const argv = ["--address", this.address, "publish", "--topic", e.topic, "--namespace", e.namespace];
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, argv, { stdio: ["pipe", "ignore", "pipe"], signal });
      let stderr = "";
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (s: string) => {
        if (stderr.length < 4096) stderr += s;
      });
      child.stdin.on("error", () => undefined); // the exit status tells what happened
      child.on("error", reject);
      child.on("close", (code) => {
        if (code === 0) resolve();
        else reject(new UnavailableError(`${this.binary} publish exited with ${code}: ${stderr.trim()}`));
      });
      child.stdin.end(toBinary(AnySchema, e.event));
    });
  }

  close(): void {}
}
