import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { platform } from "../../../src/platform/index.js";
import { posixPlatform } from "../../../src/platform/posix.js";
import { windowsPlatform } from "../../../src/platform/windows.js";

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

describe("platform/index", () => {
  it(`selects the ${process.platform === "win32" ? "windows" : "posix"} platform`, () => {
    assert.equal(platform, process.platform === "win32" ? windowsPlatform : posixPlatform);
  });

  it("posix.ts and windows.ts export the same shape", () => {
    assert.deepEqual(Object.keys(posixPlatform).sort(), Object.keys(windowsPlatform).sort());
    for (const k of Object.keys(posixPlatform) as Array<keyof typeof posixPlatform>) {
      assert.equal(typeof posixPlatform[k], typeof windowsPlatform[k], k);
    }
  });

  it("both platforms construct every concern without loading native code", () => {
    for (const p of [posixPlatform, windowsPlatform]) {
      const waiter = p.createProcessWaiter();
      assert.equal(waiter.pending, 0);
      waiter.close();
      assert.equal(typeof p.createProcessTree().descendants, "function");
      assert.equal(p.createSignals().toRunhcsSignal(15), "15");
      assert.match(
        p.createShimAddress().socketAddress({ containerdAddress: "/c", namespace: "n", id: "i" }),
        /n|[0-9a-f]{64}/,
      );
    }
  });

  it("each platform takes its own way for what differs by OS", () => {
    const ways = {
      fifos: () => "fifos",
      namedPipes: () => "named pipes",
      nothingLeft: () => "nothing",
      signalByPid: () => "signal",
      fifo: (path: string) => `fifo ${path}`,
    };
    const pick = (p: typeof posixPlatform) => [
      p.pickStdio(ways),
      p.endStrayServer(ways),
      p.requiresLayerFolders,
      p.killedExitStatus,
    ];
    assert.deepEqual(pick(posixPlatform), ["fifos", "signal", false, 137]);
    assert.deepEqual(pick(windowsPlatform), ["named pipes", "nothing", true, 255]);
    const pipeServer = () => assert.fail("posix has no pipe server");
    assert.equal(posixPlatform.openShimLog("/b/log", { ...ways, pipeServer }), "fifo /b/log");
  });

  it("posix listenTaskApi: socket directory 0700, socket 0600; an abstract socket has no file", async function () {
    if (process.platform === "win32") this.skip(); // POSIX modes (the Windows pipe: test/wine/pipe-security)
    const dir = mkdtempSync(join(tmpdir(), "listen-"));
    try {
      const path = join(dir, "s", "sock");
      const bound: string[] = [];
      const server = {
        listen: async (p: string) => {
          bound.push(p);
          if (!p.startsWith("\0")) writeFileSync(p, "", { mode: 0o666 });
        },
        serve: () => assert.fail("posix binds a socket"),
      };
      await posixPlatform.listenTaskApi(path, server);
      await posixPlatform.listenTaskApi("\0abstract", server);
      assert.deepEqual(bound, [path, "\0abstract"]);
      assert.equal(statSync(join(dir, "s")).mode & 0o777, 0o700);
      assert.equal(statSync(path).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("no file in src/ outside src/platform/ reads process.platform (style 11)", () => {
    const src = join(process.cwd(), "src");
    const offenders = [...tsFiles(src)]
      .filter((f) => !relative(src, f).replaceAll("\\", "/").startsWith("platform/"))
      .filter((f) => /process\.platform\b/.test(readFileSync(f, "utf8")))
      .map((f) => relative(process.cwd(), f));
    assert.deepEqual(offenders, []);
  });
});
