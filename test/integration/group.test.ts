/**
 * One shim for many containers, under a real (private) containerd 1.6 driven with ctr: the containers of a
 * CRI sandbox (`io.kubernetes.cri.sandbox-id`) run through one shim server; two sandboxes stay apart; a
 * containerd restart reconnects every task of a group; run, exec, kill and delete in any order; the
 * server exits after its group's last delete, and nothing is left behind.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { type PrivateContainerd, sleep, suiteOnPrivateContainerd } from "./containerd-harness.js";

const SANDBOX_ID = "io.kubernetes.cri.sandbox-id";
const CONTAINER_TYPE = "io.kubernetes.cri.container-type";

describe("shim under containerd 1.6 (ctr): containers of one sandbox share one shim", function () {
  this.timeout(300_000);
  let c: PrivateContainerd;
  suiteOnPrivateContainerd((x) => (c = x));

  const ok = (r: { code: number | null; stderr: string }, what: string) =>
    assert.equal(r.code, 0, `${what} failed: ${r.stderr}`);

  /** Shim servers (not `start`, not `delete`): pid → the socket they serve. */
  function servers(): Map<number, string> {
    const out = new Map<number, string>();
    for (const p of c.markedProcesses()) {
      const m = / -socket unix:\/\/(\S+)/.exec(p.cmd);
      if (m?.[1]) out.set(p.pid, m[1]);
    }
    return out;
  }
  const serverOf = (group: string) =>
    [...servers()].filter(([, socket]) => socket === c.shimSocketOf(group)).map(([pid]) => pid);

  function run(id: string, group: string, type?: "sandbox" | "container") {
    const annotations = [`${SANDBOX_ID}=${group}`, ...(type ? [`${CONTAINER_TYPE}=${type}`] : [])];
    return c.ctr(
      c.runArgs(id, ["sleep", "1000"], ["-d", ...annotations.flatMap((a) => ["--annotation", a])]),
    );
  }

  /** Runs `fn` over `items`, `width` at a time. */
  async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
    const queue = [...items];
    await Promise.all(
      Array.from({ length: width }, async () => {
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
      }),
    );
  }

  async function runningTasks(): Promise<string[]> {
    const ls = await c.ctr(["task", "ls"]);
    ok(ls, "ctr task ls");
    return ls.stdout
      .split("\n")
      .filter((l) => /\sRUNNING\s*$/.test(l))
      .map((l) => l.split(/\s+/)[0] as string)
      .sort();
  }

  /** A container's whole end, as an operator would do it: exec, kill, delete (refused until stopped), rm. */
  async function endOf(id: string, signal: string): Promise<void> {
    const ex = await c.ctr(["task", "exec", "--exec-id", `x-${id}`, id, "sh", "-c", `echo ${id}`]);
    ok(ex, `exec in ${id}`);
    assert.equal(ex.stdout, `${id}\n`);
    ok(await c.ctr(["task", "kill", "-s", signal, id]), `kill ${id}`);
    for (let i = 0; ; i++) {
      const del = await c.ctr(["task", "delete", id]);
      if (del.code === 0) break;
      assert.ok(i < 100, `task delete ${id} still refused: ${del.stderr}`);
      await sleep(100);
    }
    ok(await c.ctr(["container", "rm", id]), `container rm ${id}`);
  }

  async function gone(pid: number, timeoutMs = 15_000): Promise<boolean> {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(100)) {
      try {
        readFileSync(`/proc/${pid}/stat`);
      } catch {
        return true;
      }
    }
    return false;
  }

  it("20 containers of one sandbox through one shim, 3 of another through another; restart; any order; exit after the last", async () => {
    const pod1 = Array.from({ length: 20 }, (_, i) => `p1-c${String(i).padStart(2, "0")}`);
    const pod2 = ["p2-c0", "p2-c1", "p2-c2"];
    c.groups.add("pod1");
    c.groups.add("pod2");
    await pool(
      [...pod1.map((id) => [id, "pod1"]), ...pod2.map((id) => [id, "pod2"])] as [string, string][],
      6,
      async ([id, group]) => ok(await run(id, group), `ctr run -d ${id}`),
    );
    const [server1, ...more1] = serverOf("pod1");
    const [server2, ...more2] = serverOf("pod2");
    assert.ok(server1 && server2 && more1.length === 0 && more2.length === 0, JSON.stringify([...servers()]));
    assert.equal(servers().size, 2, "one server per sandbox");
    assert.deepEqual(await runningTasks(), [...pod1, ...pod2].sort());

    // containerd restarts: it reconnects every task of both groups through their bundles' address files.
    await c.restart();
    assert.deepEqual(await runningTasks(), [...pod1, ...pod2].sort());
    for (const id of [pod1[3], pod1[17], pod2[1]] as string[]) {
      const ex = await c.ctr(["task", "exec", "--exec-id", "after-restart", id, "echo", id]);
      ok(ex, `exec in ${id} after the restart`);
      assert.equal(ex.stdout, `${id}\n`);
    }

    // pod1's containers end in any order, concurrently, while pod2's keep running.
    await Promise.all(
      pod1.map(async (id, i) => {
        await sleep((i * 7919) % 3000);
        await endOf(id, i % 2 ? "SIGKILL" : "SIGTERM");
      }),
    );
    assert.ok(await gone(server1), "pod1's server outlived its last container");
    assert.deepEqual(serverOf("pod2"), [server2], "pod2's server was touched");
    assert.deepEqual(await runningTasks(), pod2);

    for (const id of pod2) await endOf(id, "SIGKILL");
    assert.ok(await gone(server2), "pod2's server outlived its last container");
  });

  it("a pod: no container before its sandbox, the sandbox deleted last, one server", async () => {
    c.groups.add("pod3");
    const early = await run("pod3-w1", "pod3", "container");
    assert.notEqual(early.code, 0, "a container was created before its sandbox");
    assert.match(early.stderr, /sandbox pod3 of container pod3-w1 does not exist in this shim/);
    await c.ctr(["container", "rm", "pod3-w1"]); // the container record ctr made, if it kept it
    ok(await run("pod3", "pod3", "sandbox"), "ctr run -d the sandbox");
    ok(await run("pod3-w1", "pod3", "container"), "ctr run -d a container of the pod");
    assert.equal(serverOf("pod3").length, 1);
    ok(await c.ctr(["task", "kill", "-s", "SIGKILL", "pod3"]), "kill the sandbox");
    let refused = "";
    for (let i = 0; i < 50 && !refused; i++) {
      const del = await c.ctr(["task", "delete", "pod3"]);
      assert.notEqual(del.code, 0, "the sandbox was deleted before its container");
      if (/still has containers pod3-w1/.test(del.stderr)) refused = del.stderr;
      else await sleep(100); // not stopped yet
    }
    assert.ok(refused, "the sandbox's delete was not refused for its container");
    await endOf("pod3-w1", "SIGKILL");
    ok(await c.ctr(["task", "delete", "pod3"]), "delete the sandbox last");
    ok(await c.ctr(["container", "rm", "pod3"]), "container rm pod3");
  });
});
