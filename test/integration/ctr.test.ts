/**
 * The compiled shim under a real (private) containerd 1.6, driven with ctr, with the runhcs simulator
 * as runhcs. Every test checks, afterwards, that no process, shim socket or bundle is left.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnPty } from "../sim/pty.js";
import { BUILD_TIMEOUT_MS, buildOnce, LINUX_EXE } from "../unit/build/build-once.js";
import { EventWatch, type PrivateContainerd, sleep, suiteOnPrivateContainerd } from "./containerd-harness.js";

const SUITE_TIMEOUT_MS = 180_000;

/** The same suite for each form of the shim containerd can run. */
const RUNTIMES: Array<{ name: string; shim?: string; prepare: () => Promise<void> }> = [
  { name: "node bin/", prepare: async () => {} },
  { name: "single executable (npm run build:exe)", shim: LINUX_EXE, prepare: buildOnce },
];

for (const variant of RUNTIMES)
  describe(`shim under containerd 1.6 (ctr), ${variant.name}`, function () {
    this.timeout(SUITE_TIMEOUT_MS);
    let c: PrivateContainerd;
    suiteOnPrivateContainerd((x) => (c = x), {
      options: variant.shim ? { shim: variant.shim } : {},
      prepare: variant.prepare,
      prepareTimeoutMs: BUILD_TIMEOUT_MS, // a first build of the executable takes a while
    });

    const ok = (r: { code: number | null; stderr: string }, what: string) =>
      assert.equal(r.code, 0, `${what} failed: ${r.stderr}`);

    it("ctr run --rm echo → output arrives, exit 0", async () => {
      const r = await c.ctr(c.runArgs("echo1", ["echo", "hello from the shim"], ["--rm"]));
      ok(r, "ctr run");
      assert.equal(r.stdout, "hello from the shim\n");
    });

    it("ctr run --rm with 1 MB+ of output → every byte arrives before ctr exits", async () => {
      const r = await c.ctr(c.runArgs("bigout", ["seq", "1", "200000"], ["--rm"]));
      ok(r, "ctr run seq");
      const lines = r.stdout.split("\n");
      assert.equal(lines.length, 200_001);
      assert.equal(lines[199_999], "200000");
    });

    it("ctr run --rm sh -c 'exit 3' → ctr exits 3", async () => {
      const r = await c.ctr(c.runArgs("exit3", ["sh", "-c", "exit 3"], ["--rm"]));
      assert.equal(r.code, 3, r.stderr);
    });

    it("ctr run --rm cat → stdin is piped through", async () => {
      const input = "line one\nline two\n";
      const r = await c.ctr(c.runArgs("cat1", ["cat"], ["--rm"]), { input });
      ok(r, "ctr run cat");
      assert.equal(r.stdout, input);
    });

    it("ctr run --rm -t → output through the console, exit code kept", async () => {
      const { out, code } = await inPty(
        c,
        c.runArgs("tty1", ["sh", "-c", "tty; echo console-ok; exit 5"], ["--rm", "-t"]),
      );
      assert.match(out, /\/dev\/pts\/\d+/, `no console: ${JSON.stringify(out)}`);
      assert.match(out, /console-ok/);
      assert.equal(
        code,
        5,
        `ctr run -t did not end with the container (got ${code}); output ${JSON.stringify(out)}`,
      );
    });

    it("task exec -t in a running container → console output and exit code", async () => {
      const id = "ttyexec";
      ok(await c.ctr(c.runArgs(id, ["sleep", "1000"], ["-d"])), "ctr run -d");
      const r = await inPty(c, [
        "task",
        "exec",
        "-t",
        "--exec-id",
        "x1",
        id,
        "sh",
        "-c",
        "tty; echo exec-console; exit 6",
      ]);
      assert.match(r.out, /\/dev\/pts\/\d+/, `no console: ${JSON.stringify(r.out)}`);
      assert.match(r.out, /exec-console/);
      assert.equal(r.code, 6, `ctr task exec -t: ${JSON.stringify(r.out)}`);
      ok(await c.ctr(["task", "kill", "-s", "SIGKILL", id]), "task kill");
      await c.ctr(["task", "delete", "--force", id]);
      ok(await c.ctr(["container", "rm", id]), "container rm");
    });

    it("run -d, exec, ps, pause/resume, shim state, kill -9, delete", async () => {
      const id = "detached1";
      ok(await c.ctr(c.runArgs(id, ["sleep", "1000"], ["-d"])), "ctr run -d");
      let ls = await c.ctr(["task", "ls"]);
      assert.match(ls.stdout, new RegExp(`${id}\\s+\\d+\\s+RUNNING`));

      const ex = await c.ctr(["task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo from-exec; exit 4"]);
      assert.equal(ex.code, 4, ex.stderr);
      assert.equal(ex.stdout, "from-exec\n");

      const ps = await c.ctr(["task", "ps", id]);
      ok(ps, "task ps");
      assert.match(ps.stdout, /^PID\s+INFO\n\d+/);

      ok(await c.ctr(["task", "pause", id]), "task pause");
      ls = await c.ctr(["task", "ls"]);
      assert.match(ls.stdout, new RegExp(`${id}\\s+\\d+\\s+PAUSED`));
      ok(await c.ctr(["task", "resume", id]), "task resume");
      ls = await c.ctr(["task", "ls"]);
      assert.match(ls.stdout, new RegExp(`${id}\\s+\\d+\\s+RUNNING`));

      const st = await c.ctr(["shim", "--id", id, "state"]);
      ok(st, "ctr shim state");
      assert.match(st.stdout, new RegExp(`"id": "${id}"`));
      assert.match(st.stdout, /"status": 2/); // RUNNING

      ok(await c.ctr(["task", "kill", "-s", "SIGKILL", id]), "task kill");
      for (let i = 0; i < 100; i++) {
        ls = await c.ctr(["task", "ls"]);
        if (/STOPPED/.test(ls.stdout)) break;
        await sleep(100);
      }
      assert.match(ls.stdout, new RegExp(`${id}\\s+\\d+\\s+STOPPED`));
      const del = await c.ctr(["task", "delete", id]);
      ok(del, "task delete");
      ok(await c.ctr(["container", "rm", id]), "container rm");
    });

    it("a failing create (no rootfs) → clear error, nothing left behind", async () => {
      const args = c.runArgs("badcreate", ["echo", "never"], ["--rm"]);
      args[args.indexOf(c.rootfs)] = `${c.rootfs}-missing`;
      const r = await c.ctr(args);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /runhcs create: root\.path .*rootfs-missing' does not exist/);
      const ls = await c.ctr(["container", "ls", "-q"]);
      assert.doesNotMatch(ls.stdout, /badcreate/);
    });

    it("a missing command → clear error, and after delete nothing left behind", async () => {
      const id = "nocmd";
      const r = await c.ctr(c.runArgs(id, ["/nonexistent/command"], ["--rm"]));
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /\/nonexistent\/command.*no such file or directory/);
      // ctr leaves a task that failed to start behind; deleting it must clean up everything.
      await c.ctr(["task", "delete", id]);
      await c.ctr(["container", "rm", id]);
    });

    it("ctr events: /tasks/create, /tasks/start, /tasks/exit (status 7), /tasks/delete", async () => {
      const events = new EventWatch(c);
      try {
        await sleep(300); // let the subscription establish before the container starts
        const id = "events1";
        const r = await c.ctr(c.runArgs(id, ["sh", "-c", "exit 7"], ["--rm"]));
        assert.equal(r.code, 7, r.stderr);
        await events.waitFor(id, "/tasks/delete");
        const topics = events.lines(id).map((l) => l.split(" ").find((w) => w.startsWith("/tasks/")));
        const order = ["/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"];
        assert.deepEqual(
          topics.filter((t) => t && order.includes(t)),
          order,
          events.lines(id).join("\n"),
        );
        const exit = await events.waitFor(id, "/tasks/exit");
        assert.match(exit, /"exit_status":7/);
      } finally {
        await events.stop();
      }
    });

    it("shim killed while a task runs → containerd runs `delete`: container killed, exit 137 published, nothing left", async () => {
      const id = "orphaned";
      const events = new EventWatch(c);
      try {
        await sleep(300);
        ok(await c.ctr(c.runArgs(id, ["sleep", "1000"], ["-d"])), "ctr run -d");
        const shimPid = Number(readFileSync(join(c.bundle(id), "shim.pid"), "utf8"));
        process.kill(shimPid, "SIGKILL");
        const exit = await events.waitFor(id, "/tasks/exit");
        assert.match(exit, /"exit_status":137/);
        await events.waitFor(id, "/tasks/delete");
        const ls = await c.ctr(["task", "ls", "-q"]);
        assert.doesNotMatch(ls.stdout, new RegExp(id));
        ok(await c.ctr(["container", "rm", id]), "container rm");
      } finally {
        await events.stop();
      }
    });

    it("containerd restarted while a task runs → task still RUNNING, kill and delete work", async () => {
      const id = "survivor";
      ok(await c.ctr(c.runArgs(id, ["sleep", "1000"], ["-d"])), "ctr run -d");
      await c.restart();
      let ls = await c.ctr(["task", "ls"]);
      assert.match(ls.stdout, new RegExp(`${id}\\s+\\d+\\s+RUNNING`), ls.stderr);
      const ex = await c.ctr(["task", "exec", "--exec-id", "after", id, "echo", "still here"]);
      ok(ex, "exec after the restart");
      assert.equal(ex.stdout, "still here\n");
      ok(await c.ctr(["task", "kill", id]), "task kill");
      for (let i = 0; i < 100; i++) {
        ls = await c.ctr(["task", "ls"]);
        if (/STOPPED/.test(ls.stdout)) break;
        await sleep(100);
      }
      assert.match(ls.stdout, new RegExp(`${id}\\s+\\d+\\s+STOPPED`));
      ok(await c.ctr(["task", "delete", id]), "task delete");
      ok(await c.ctr(["container", "rm", id]), "container rm");
    });
  });

/** Runs ctr on a pseudo-terminal (so `-t` gets a console of a known size); bounded. */
async function inPty(
  c: PrivateContainerd,
  args: string[],
): Promise<{ out: string; code: number | "timeout" }> {
  const term = spawnPty("ctr", ["--address", c.address, ...args], {
    cols: 100,
    rows: 30,
    cwd: process.cwd(),
    env: { ...process.env } as Record<string, string>,
  });
  const chunks: Buffer[] = [];
  term.onData((d) => chunks.push(d));
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    term.exited.then(({ exitCode }) => exitCode),
    new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), 30_000);
    }),
  ]);
  clearTimeout(timer);
  if (code === "timeout") {
    process.kill(term.pid, "SIGKILL");
    await term.exited;
  }
  return { out: Buffer.concat(chunks).toString(), code };
}
