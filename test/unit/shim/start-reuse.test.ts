/**
 * A second `start` for a task whose server is alive prints the same address and writes the bundle's
 * `address` file (containerd reconnects through it after a restart).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

  it("start with a live server → the same address, and the bundle's address file written", async () => {
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
    const srv = createServer((c) => c.destroy());
    server = srv;
    await new Promise<void>((r) => srv.listen(shimAddress.toListenPath(address), r));
    const input = toBinary(
      BootstrapParamsSchema,
      create(BootstrapParamsSchema, { namespace: "unit", socketDir }),
    );
    const printed = await start(flags, { bundle, input, serverCommand: ["/nonexistent"] });
    assert.equal(printed, address);
    assert.ok(existsSync(join(bundle, "address")), "start reused a live server but wrote no address file");
  });
});
