#!/usr/bin/env node
// End to end on a Windows Server agent with Hyper-V, containerd (running as a service) and a runhcs.exe that
// relays stdio (scripts/windows/hyperv-prereqs.ps1 prepares all of it; docs/runhcs-on-windows.md says why the
// runhcs build matters): ctr runs Windows containers through our .exe on a nanoserver image, and, when
// E2E_LCOW_IMAGE is set, an LCOW container. Prints one line per check; exits non-zero when a check failed.
// Not runnable on Linux.
//
//   node scripts/windows-e2e.mjs <path\to\containerd-shim-runhcs-v1.exe>
//
// Environment: CTR (default ctr.exe), CONTAINERD_ADDRESS (default \\.\pipe\containerd-containerd),
// E2E_IMAGE (default: mcr.microsoft.com/windows/nanoserver with the tag of the host build, from
// scripts/windows/windows-image-tags.json, as hyperv-prereqs.ps1 chooses it), E2E_LCOW_IMAGE (optional, e.g.
// docker.io/library/busybox:latest), E2E_NAMESPACE (default shim-e2e).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { resolve } from "node:path";

if (process.platform !== "win32") {
  console.error("windows-e2e: runs on Windows agents only (Linux is covered by test/integration)");
  process.exit(2);
}
const shim = resolve(process.argv[2] ?? "build/containerd-shim-runhcs-v1.exe");
const ctrBin = process.env.CTR ?? "ctr.exe";
const address = process.env.CONTAINERD_ADDRESS ?? "\\\\.\\pipe\\containerd-containerd";
const namespace = process.env.E2E_NAMESPACE ?? "shim-e2e";
const image = process.env.E2E_IMAGE || hostMatchedImage();
const lcowImage = process.env.E2E_LCOW_IMAGE;

/** nanoserver with the tag of this host's build (process isolation needs the host's build). */
function hostMatchedImage() {
  const build = release().split(".")[2] ?? "";
  const tags = JSON.parse(readFileSync(new URL("windows/windows-image-tags.json", import.meta.url), "utf8"));
  if (!tags[build]) {
    console.error(
      `windows-e2e: host build ${build} has no nanoserver tag in scripts/windows/windows-image-tags.json ` +
        `(${JSON.stringify(tags)}): set E2E_IMAGE to an image built for this host`,
    );
    process.exit(2);
  }
  return `mcr.microsoft.com/windows/nanoserver:${tags[build]}`;
}

/** Runs ctr; resolves with its exit code and output (never rejects on a non-zero exit). */
function ctr(args, timeoutMs = 300_000) {
  return new Promise((res) => {
    execFile(
      ctrBin,
      ["--address", address, "--namespace", namespace, ...args],
      { timeout: timeoutMs },
      (err, stdout, stderr) =>
        res({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

let failures = 0;
function check(what, cond, detail) {
  console.log(`${cond ? "ok  " : "FAIL"} ${what}`);
  if (!cond) {
    failures++;
    if (detail) console.log(`     ${JSON.stringify(detail)}`);
  }
}

const run = (id, img, cmd, extra = []) => ctr(["run", "--rm", "--runtime", shim, ...extra, img, id, ...cmd]);

async function windowsContainers() {
  const pull = await ctr(["image", "pull", image], 1_800_000);
  check(`pull ${image}`, pull.code === 0, pull);
  const echo = await run("e2e-echo", image, ["cmd", "/c", "echo hello-from-nanoserver"]);
  check(
    "run --rm echo: output and exit 0",
    echo.code === 0 && echo.stdout.includes("hello-from-nanoserver"),
    echo.code === 0 && !echo.stdout.includes("hello-from-nanoserver")
      ? { ...echo, hint: "exit code but no output: an unpatched runhcs.exe? see docs/runhcs-on-windows.md" }
      : echo,
  );
  const three = await run("e2e-exit3", image, ["cmd", "/c", "exit 3"]);
  check("run --rm 'exit 3': ctr exits 3", three.code === 3, three);
  const big = await run("e2e-exitbig", image, ["cmd", "/c", "exit 1234"]);
  check("run --rm 'exit 1234': the exit status reaches containerd", big.code !== 0, big);

  const d = await ctr(["run", "-d", "--runtime", shim, image, "e2e-long", "ping", "-t", "localhost"]);
  check("run -d a long-running container", d.code === 0, d);
  const exec = await ctr([
    "task",
    "exec",
    "--exec-id",
    "x1",
    "e2e-long",
    "cmd",
    "/c",
    "echo from-exec && exit 4",
  ]);
  check("task exec: output and exit code 4", exec.code === 4 && exec.stdout.includes("from-exec"), exec);
  const ps = await ctr(["task", "ps", "e2e-long"]);
  check("task ps lists processes", ps.code === 0 && /\d+/.test(ps.stdout), ps);
  const kill = await ctr(["task", "kill", "-s", "SIGKILL", "e2e-long"]);
  check("task kill -s SIGKILL", kill.code === 0, kill);
  let deleted;
  for (let i = 0; i < 60; i++) {
    deleted = await ctr(["task", "delete", "e2e-long"]);
    if (deleted.code === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  check("task delete after the kill", deleted.code === 0, deleted);
  const rm = await ctr(["container", "delete", "e2e-long"]);
  check("container delete", rm.code === 0, rm);
}

async function lcow() {
  if (!lcowImage) {
    console.log("skip LCOW: E2E_LCOW_IMAGE not set (the agent has no LCOW support configured)");
    return;
  }
  const pull = await ctr(["image", "pull", "--platform", "linux/amd64", lcowImage], 1_800_000);
  check(`pull ${lcowImage} (linux/amd64)`, pull.code === 0, pull);
  const echo = await run(
    "e2e-lcow",
    lcowImage,
    ["sh", "-c", "echo hello-from-lcow; exit 5"],
    ["--platform", "linux/amd64"],
  );
  check("LCOW run --rm: output and exit 5", echo.code === 5 && echo.stdout.includes("hello-from-lcow"), echo);
}

await windowsContainers();
await lcow();
console.log(
  `${failures === 0 ? "windows-e2e: all checks passed" : `windows-e2e: ${failures} check(s) failed`}`,
);
process.exitCode = failures === 0 ? 0 : 1;
