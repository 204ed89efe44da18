/**
 * Grouping in `start`: containers of one group (our annotation, else the CRI sandbox id) share one server;
 * concurrent starts of a group never start two; a dead server's socket is replaced.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { BootstrapParamsSchema } from "../../../src/gen/containerd/runtime/bootstrap/v1/bootstrap_pb.js";
import { GROUP_ANNOTATION, SANDBOX_ID_ANNOTATION, shimGroup } from "../../../src/shim/group.js";
import { accepts } from "../../../src/shim/probe.js";
import { isAlive, runShim, shimEntry, sleep, tempDir, waitGone } from "./helpers.js";

describe("shim start: groups", function () {
  this.timeout(90_000);
  let dir: string;
  let socketDir: string;
  let entry: string;

  beforeEach(() => {
    dir = tempDir("group");
    socketDir = join(dir, "s");
    entry = shimEntry(join(dir, "rt"));
  });
  afterEach(async () => {
    for (const pid of serverPids()) {
      process.kill(pid, "SIGKILL");
      await waitGone(pid);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Live servers of this test's containerd address (wherever their socket is). */
  function serverPids(): number[] {
    return readdirSync("/proc")
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .filter((pid) => {
        try {
          return (
            readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`-address\0${join(dir, "c.sock")}\0`) &&
            isAlive(pid)
          );
        } catch {
          return false;
        }
      });
  }

  function bundleOf(id: string, annotations: Record<string, string>): string {
    const bundle = join(dir, "bundles", id);
    mkdirSync(bundle, { recursive: true });
    writeFileSync(join(bundle, "config.json"), JSON.stringify({ ociVersion: "1.0.2", annotations }));
    return bundle;
  }

  const input = () =>
    toBinary(BootstrapParamsSchema, create(BootstrapParamsSchema, { namespace: "unit", socketDir }));
  const startOf = (id: string, bundle: string) =>
    runShim(
      entry,
      ["-namespace", "unit", "-id", id, "-address", join(dir, "c.sock"), "-bundle", bundle, "start"],
      {
        cwd: bundle,
        input: input(),
      },
    );

  it("the group: our annotation, else the CRI sandbox id, else the container id; a bad one is refused", async () => {
    const both = bundleOf("a", { [GROUP_ANNOTATION]: "g1", [SANDBOX_ID_ANNOTATION]: "pod1" });
    assert.equal(await shimGroup(both, "a"), "g1");
    assert.equal(await shimGroup(bundleOf("b", { [SANDBOX_ID_ANNOTATION]: "pod1" }), "b"), "pod1");
    assert.equal(await shimGroup(bundleOf("c", { other: "x" }), "c"), "c");
    assert.equal(await shimGroup(join(dir, "no-such-bundle"), "d"), "d");
    await assert.rejects(shimGroup(bundleOf("e", { [SANDBOX_ID_ANNOTATION]: "../up" }), "e"), /must match/);
    // The runtime options' default_container_annotations: a container's own annotations win.
    const defaults = { [GROUP_ANNOTATION]: "all" };
    assert.equal(await shimGroup(bundleOf("f", {}), "f", defaults), "all");
    assert.equal(await shimGroup(bundleOf("g", { [GROUP_ANNOTATION]: "g2" }), "g", defaults), "g2");
  });

  it("10 concurrent starts of one sandbox's containers → one server, one address, every bundle's address file", async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const bundles = ids.map((id) => bundleOf(id, { [SANDBOX_ID_ANNOTATION]: "pod1" }));
    const results = await Promise.all(ids.map((id, i) => startOf(id, bundles[i] as string)));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const addresses = new Set(results.map((r) => r.stdout.toString().trim()));
    assert.equal(addresses.size, 1, [...addresses].join(", "));
    assert.equal(serverPids().length, 1, "servers running");
    for (const b of bundles) assert.equal(readFileSync(join(b, "address"), "utf8"), [...addresses][0]);
    assert.equal(
      bundles.filter((b) => existsSync(join(b, "shim.pid"))).length,
      1,
      "shim.pid only where it started",
    );
    // Another sandbox gets a server of its own.
    const other = await startOf("x0", bundleOf("x0", { [SANDBOX_ID_ANNOTATION]: "pod2" }));
    assert.equal(other.code, 0, other.stderr);
    assert.notEqual(other.stdout.toString().trim(), [...addresses][0]);
    assert.equal(serverPids().length, 2);
    assert.deepEqual(
      readdirSync(socketDir).filter((f) => f.endsWith(".lock")),
      [],
      "lock files left",
    );
  });

  it("a dead server's socket is replaced by a new server", async () => {
    const b1 = bundleOf("d1", { [GROUP_ANNOTATION]: "grp" });
    const first = await startOf("d1", b1);
    assert.equal(first.code, 0, first.stderr);
    const address = first.stdout.toString().trim();
    const pid = Number(readFileSync(join(b1, "shim.pid"), "utf8"));
    process.kill(pid, "SIGKILL");
    await waitGone(pid);
    const path = address.replace("unix://", "");
    // /proc shows the killed leader a zombie while its other threads still exit holding the socket.
    for (let i = 0; i < 100 && (await accepts(path)); i++) await sleep(50);
    assert.ok(existsSync(path) && !(await accepts(path)), "a stale socket file");
    const b2 = bundleOf("d2", { [GROUP_ANNOTATION]: "grp" });
    const second = await startOf("d2", b2);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.toString().trim(), address);
    await sleep(100);
    assert.ok(await accepts(path));
    assert.equal(Number(readFileSync(join(b2, "shim.pid"), "utf8")), serverPids()[0]);
  });
});
