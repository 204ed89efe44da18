/**
 * A second `start` for a task whose server is alive prints the same address and writes the bundle's
 * `address` file (containerd reconnects through it after a restart), without taking the group's start lock.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { BootstrapParamsSchema } from "../../../src/gen/containerd/runtime/bootstrap/v1/bootstrap_pb.js";
import { platform } from "../../../src/platform/index.js";
import { defaultFlags } from "../../../src/shim/flags.js";
import { start } from "../../../src/shim/start.js";

describe("shim start when a server already answers", function () {
  this.timeout(30_000);
  let dir: string;
  let server: Server | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "start-reuse-"));
  });
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A server answering on the address of task t1's group; the flags and input of a `start` for it. */
  async function liveServer() {
    const socketDir = join(dir, "s");
    const bundle = join(dir, "bundle");
    mkdirSync(socketDir);
    mkdirSync(bundle);
    const flags = { ...defaultFlags(), namespace: "unit", id: "t1", address: join(dir, "c.sock") };
    const shimAddress = platform.createShimAddress({ socketDir });
    const address = shimAddress.socketAddress({
      namespace: flags.namespace,
      id: flags.id,
      containerdAddress: flags.address,
    });
    const listenPath = shimAddress.toListenPath(address);
    const srv = createServer((c) => c.destroy());
    server = srv;
    await new Promise<void>((r) => srv.listen(listenPath, r));
    const input = toBinary(
      BootstrapParamsSchema,
      create(BootstrapParamsSchema, { namespace: "unit", socketDir }),
    );
    return { flags, bundle, input, address, listenPath };
  }

  it("start with a live server → the same address, and the bundle's address file written", async () => {
    const { flags, bundle, input, address } = await liveServer();
    const printed = await start(flags, { bundle, input, serverCommand: ["/nonexistent"] });
    assert.equal(printed, address);
    assert.ok(existsSync(join(bundle, "address")), "start reused a live server but wrote no address file");
  });

  it("a join takes no lock: it answers while another start holds the group's start lock", async function () {
    // A named mutex is re-entrant within its process: on Windows the lock cannot be held against a start
    // in the same process (the group suites under containerd cover joins there).
    if (process.platform === "win32") this.skip();
    const { flags, bundle, input, address, listenPath } = await liveServer();
    let release = (): void => {};
    const held = new Promise<void>((r) => (release = r));
    let locked = (): void => {};
    const holding = new Promise<void>((r) => (locked = r));
    const holder = platform.withStartLock(listenPath, async () => {
      locked();
      await held;
    });
    await holding;
    try {
      const printed = await Promise.race([
        start(flags, { bundle, input, serverCommand: ["/nonexistent"] }),
        sleep(5_000).then(() => "still waiting after 5 s"),
      ]);
      assert.equal(printed, address);
    } finally {
      release();
      await holder;
    }
  });
});
