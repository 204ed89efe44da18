/**
 * Mocha hooks the Go interop suites share: the suite-level Go peer build, temp dir and leak check, and a
 * Go server with our Client connected to it. Each returns a holder read inside hooks and tests, since the
 * values exist only once the hooks have run.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "../../src/ttrpc/index.js";
import { buildGoPeer, type GoServer, killAllGoPeers, startGoServer } from "./go-peer.js";

/**
 * Registers the hooks of a Go interop suite: before it, builds the Go peer (the first build compiles
 * grpc-go and friends, hence the long timeout) and makes a temp dir (`prefix` + random) for sockets;
 * after it, kills every Go peer still running, removes the dir and fails if any peer was still running.
 */
export function goPeerSuite(prefix: string): { readonly dir: string } {
  let dir: string | undefined;
  before(async function () {
    this.timeout(600_000);
    await buildGoPeer();
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    const leaked = await killAllGoPeers();
    if (dir) await rm(dir, { recursive: true, force: true });
    assert.equal(leaked, 0, "Go peer processes were left running");
  });
  return {
    get dir() {
      assert.ok(dir, "goPeerSuite: the suite's before hook has not run");
      return dir;
    },
  };
}

/**
 * Registers hooks starting a Go server on `<suite dir>/<socketName>` with our Client connected to it
 * before the enclosing `describe`'s tests, and closing both after them.
 */
export function goServerWithClient(
  suite: { readonly dir: string },
  socketName: string,
  opts?: Parameters<typeof startGoServer>[1],
): { readonly go: GoServer; readonly client: Client } {
  let go: GoServer | undefined;
  let client: Client | undefined;
  before(async () => {
    go = await startGoServer(join(suite.dir, socketName), opts);
    client = await Client.connect(`unix://${go.socket}`);
  });
  after(async () => {
    client?.close();
    await go?.stop();
  });
  return {
    get go() {
      assert.ok(go, "goServerWithClient: the before hook has not run");
      return go;
    },
    get client() {
      assert.ok(client, "goServerWithClient: the before hook has not run");
      return client;
    },
  };
}
