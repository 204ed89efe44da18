/**
 * The Windows executable, run for real under wine (when wine64 is installed; skipped otherwise): `-v`,
 * then `start` in a bundle against a named-pipe -address, Connect + Shutdown from a Windows node.exe
 * client (a wine named pipe is not reachable from Linux), and `delete`. `start` only prints the address
 * once the server is ready, and the Windows server binds kernel32 through koffi before that, so a served
 * Connect also shows that koffi's Windows addon loaded out of the executable.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { buildSync } from "esbuild";
import { DeleteResponseSchema } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { VERSION } from "../../../src/version.js";
import { BUILD_STAMP, BUILD_TIMEOUT_MS, buildOnce, WINDOWS_EXE } from "./build-once.js";

const WINE = ["/usr/lib/wine/wine64", "/usr/bin/wine64"].find((p) => existsSync(p));
const WINESERVER = ["/usr/lib/wine/wineserver", "/usr/bin/wineserver"].find((p) => existsSync(p));

/** Whether a process (wine shows the Windows command line) still serves `address`, bounded wait. */
async function gone(address: string, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const serving = readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .some((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`-socket ${address}`);
        } catch {
          return false;
        }
      });
    if (!serving) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

describe("build:exe Windows executable under wine", function () {
  this.timeout(BUILD_TIMEOUT_MS);
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let runs = 0;

  /** Runs a Windows program; stdout/stderr go to files (node.exe under wine cannot write to a pipe). */
  function wine(args: string[], cwd: string): Promise<Run> {
    const n = runs++;
    const out = join(dir, `out-${n}`);
    const err = join(dir, `err-${n}`);
    const fds = [openSync(out, "w"), openSync(err, "w")];
    return new Promise<Run>((resolve, reject) => {
      const child = spawn(WINE as string, args, { cwd, env, stdio: ["ignore", fds[0], fds[1]] });
      const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      child.on("error", reject);
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout: readFileSync(out), stderr: readFileSync(err, "utf8") });
      });
    }).finally(() => {
      for (const fd of fds) closeSync(fd);
    });
  }

  before(async function () {
    if (!WINE || !WINESERVER) this.skip(); // wine64 is not part of setup.sh (yet)
    await buildOnce();
    dir = mkdtempSync(join(tmpdir(), "build-exe-wine-"));
    env = {
      PATH: process.env.PATH,
      HOME: dir,
      WINEPREFIX: join(dir, "prefix"),
      WINEDEBUG: "-all",
      WINEDLLOVERRIDES: "mscoree,mshtml=", // no Mono/Gecko installers while the prefix is made
    };
    // A new prefix (~10-20 s), reporting Windows 10 (Node refuses to run below 8.1).
    const cfg = await wine(["winecfg", "/v", "win10"], dir);
    assert.equal(cfg.code, 0, cfg.stderr);
    // Let the prefix's first boot settle (its services end, the wineserver exits) before the tests.
    await new Promise((r) => spawn(WINESERVER as string, ["-w"], { env, stdio: "ignore" }).on("exit", r));
  });

  after(async () => {
    if (!dir) return;
    // Ends what runs in our private prefix (and only there), then its wineserver.
    await new Promise((r) => spawn(WINESERVER as string, ["-k"], { env, stdio: "ignore" }).on("exit", r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("-v prints the version", async () => {
    const r = await wine([WINDOWS_EXE, "-v"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout.toString().replace(/\r\n/g, "\n"),
      `containerd-shim-runhcs-v1:\n  Version:  ${VERSION}\n`,
    );
  });

  it("start serves Connect on a named pipe (koffi loaded from the asset); Shutdown; delete cleans up", async () => {
    const bundle = join(dir, "bundle");
    mkdirSync(bundle);
    env.CONTAINERD_SHIM_RUNHCS_CACHE_DIR = "C:\\shim-cache";
    const flags = ["-namespace", "unit", "-address", "\\\\.\\pipe\\containerd-unit-test"];
    flags.push("-publish-binary", "C:\\containerd.exe", "-id", "w1");
    const started = await wine([WINDOWS_EXE, ...flags, "start"], bundle);
    assert.equal(started.code, 0, `start: ${started.stderr} ${started.stdout}`);
    const address = started.stdout.toString();
    assert.match(address, /^\\\\\.\\pipe\\.*containerd-shim-unit-w1-pipe$/);
    const pid = Number(readFileSync(join(bundle, "shim.pid"), "utf8"));
    const cache = join(dir, "prefix", "drive_c", "shim-cache");
    assert.match(readdirSync(cache).join(), /^koffi-win32-x64-[0-9a-f]{32}\.node$/);

    const connected = await connectAndShutdown(address, "w1");
    assert.equal(connected.code, 0, connected.stderr);
    assert.deepEqual(JSON.parse(connected.stdout.toString()), { shimPid: pid, version: VERSION });

    assert.ok(await gone(address), "the server still runs after Shutdown");

    const deleted = await wine([WINDOWS_EXE, ...flags, "-bundle", bundle, "delete"], bundle);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.ok(fromBinary(DeleteResponseSchema, deleted.stdout).exitedAt, "no DeleteResponse on stdout");
    assert.deepEqual(readdirSync(bundle), []);
  });

  it("by default unpacks koffi beside the executable, not in %LOCALAPPDATA% or %TEMP%", async () => {
    const app = join(dir, "app");
    mkdirSync(app);
    const exe = join(app, "containerd-shim-runhcs-v1.exe");
    copyFileSync(WINDOWS_EXE, exe);
    const bundle = join(dir, "bundle-default");
    mkdirSync(bundle);
    const flags = ["-namespace", "unit", "-address", "\\\\.\\pipe\\containerd-unit-test"];
    flags.push("-publish-binary", "C:\\containerd.exe", "-id", "w2");
    const { CONTAINERD_SHIM_RUNHCS_CACHE_DIR: _, ...noOverride } = env;
    env = noOverride;
    const started = await wine([exe, ...flags, "start"], bundle);
    assert.equal(started.code, 0, `start: ${started.stderr} ${started.stdout}`);
    const connected = await connectAndShutdown(started.stdout.toString(), "w2");
    assert.equal(connected.code, 0, connected.stderr);
    assert.ok(await gone(started.stdout.toString()), "the server still runs after Shutdown");
    assert.match(
      readdirSync(join(app, "containerd-shim-runhcs-v1-native")).join(),
      /^koffi-win32-x64-[0-9a-f]{32}\.node$/,
    );
    const deleted = await wine([exe, ...flags, "-bundle", bundle, "delete"], bundle);
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  it("refuses an override directory in %TEMP%, before writing anything there", async () => {
    const bundle = join(dir, "bundle-temp");
    mkdirSync(bundle);
    // Wine sets %TEMP% from its registry: ask a Windows node where it is.
    const stamp = JSON.parse(readFileSync(BUILD_STAMP, "utf8")) as Record<string, { node: string }>;
    const node = stamp["win32-x64"]?.node ?? "";
    const tmp = await wine([node, "-e", "process.stdout.write(require('os').tmpdir())"], dir);
    const winTemp = tmp.stdout.toString();
    assert.match(winTemp, /^C:\\/i, tmp.stderr);
    const linuxTemp = join(dir, "prefix", "drive_c", ...winTemp.slice(3).split("\\"));
    mkdirSync(linuxTemp, { recursive: true });
    const before = readdirSync(linuxTemp).sort();
    const flags = ["-namespace", "unit", "-address", "\\\\.\\pipe\\containerd-unit-test"];
    flags.push("-publish-binary", "C:\\containerd.exe", "-id", "w3");
    const saved = env;
    env = { ...env, CONTAINERD_SHIM_RUNHCS_CACHE_DIR: `${winTemp}\\shim-native` };
    try {
      const started = await wine([WINDOWS_EXE, ...flags, "start"], bundle);
      assert.notEqual(started.code, 0, started.stdout.toString());
      assert.match(started.stderr, /temporary directory/);
      assert.deepEqual(readdirSync(linuxTemp).sort(), before);
      assert.deepEqual(readdirSync(bundle), []);
    } finally {
      env = saved;
    }
  });

  /** Connect + Shutdown from a Windows node.exe client (bundled wine-connect.ts). */
  function connectAndShutdown(address: string, id: string): Promise<Run> {
    const stamp = JSON.parse(readFileSync(BUILD_STAMP, "utf8")) as Record<string, { node: string }>;
    const client = join(dir, "connect.cjs");
    buildSync({
      stdin: {
        contents: 'import { main } from "./wine-connect.ts"; main(process.argv.slice(2));',
        resolveDir: join(process.cwd(), "test", "unit", "build"),
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      outfile: client,
      logLevel: "error",
    });
    return wine([stamp["win32-x64"]?.node ?? "", client, address, id], dir);
  }
});
