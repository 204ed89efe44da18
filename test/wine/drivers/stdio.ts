/**
 * Wine driver: src/stdio on Windows for real. containerd's side is three named-pipe servers
 * (`\\.\pipe\ctr-<rand>-std*`, as ctr creates them); createProcessIO dials them (windows opener) and makes
 * the runhcs pipes (uv_pipe). The "runhcs" child starts a detached helper that inherits its stdio and
 * exits at once, as `runhcs create` does; the helper echoes stdin to stdout after EOF.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { createProcessIO, createWindowsOpener, createWindowsPipes } from "../../../src/stdio/index.js";
import { runDriver, within } from "./report.js";

interface PipeServer {
  readonly path: string;
  readonly conn: Promise<net.Socket>;
  readonly text: Promise<string>;
  close(): void;
}

/** A containerd-side pipe server accepting one connection; collects what it receives until EOF. */
async function pipeServer(name: string): Promise<PipeServer> {
  const path = `\\\\.\\pipe\\ctr-${randomBytes(6).toString("hex")}-${name}`;
  const server = net.createServer();
  const sockets: net.Socket[] = [];
  const conn = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  const text = conn.then(
    (s) =>
      new Promise<string>((resolve) => {
        sockets.push(s);
        let t = "";
        s.setEncoding("utf8");
        s.on("data", (d: string) => {
          t += d;
        });
        s.on("end", () => resolve(t));
        s.on("error", () => resolve(t));
      }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, resolve);
  });
  return {
    path,
    conn,
    text,
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

const HELPER = `let t = ""; process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => { t += d; });
process.stdin.on("end", () => { process.stdout.write("got:" + t); process.stderr.write("err\\n"); });`;
const RUNHCS = `const c = require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(HELPER)}],
  { detached: true, stdio: "inherit" }); c.unref(); process.exit(0);`;

runDriver(async () => {
  const servers = await Promise.all(["stdin", "stdout", "stderr"].map(pipeServer));
  const [sin, sout, serr] = servers as [PipeServer, PipeServer, PipeServer];
  const io = await createProcessIO(
    { stdin: sin.path, stdout: sout.path, stderr: serr.path, terminal: false },
    { opener: createWindowsOpener(), pipes: createWindowsPipes() },
  );
  try {
    const runhcs = spawn(process.execPath, ["-e", RUNHCS], {
      stdio: io.runhcsStdio as never,
      detached: true,
    });
    io.afterSpawn();
    const runhcsExit = await within(
      new Promise<number | null>((resolve) => runhcs.once("exit", resolve)),
      20_000,
      "runhcs exit",
    );
    // The helper still holds the child ends: no EOF yet.
    const early = await Promise.race([
      io.outputDone.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 500)),
    ]);
    (await sin.conn).write("ping\n");
    await new Promise((r) => setTimeout(r, 300));
    io.closeStdin(); // CloseIO: the helper sees EOF and answers
    await within(io.outputDone, 20_000, "outputDone");
    return {
      runhcsExit,
      outputDoneBeforeHelper: early,
      stdout: await within(sout.text, 5000, "stdout EOF"),
      stderr: await within(serr.text, 5000, "stderr EOF"),
    };
  } finally {
    await io.close();
    for (const s of servers) s.close();
  }
});
