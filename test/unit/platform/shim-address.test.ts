import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { InvalidArgumentError } from "../../../src/errdefs.js";
import {
  DEFAULT_SOCKET_DIR,
  goJoin,
  PosixShimAddress,
  SOCKET_PATH_LIMIT,
} from "../../../src/platform/posix-address.js";
import { WindowsShimAddress } from "../../../src/platform/windows-address.js";

/** Vectors printed by containerd 1.6's own `shim.SocketAddress` (and equal to `printf %s <input> | sha256sum`). */
const GO_VECTORS: Array<[address: string, ns: string, id: string, hex: string]> = [
  [
    "/run/containerd/containerd.sock",
    "default",
    "abc",
    "8cb244a719603fe00870d5ce1d8e1f1db43a654cb993d107df1f1ae23ddffa59",
  ],
  [
    "/run/containerd/containerd.sock/",
    "k8s.io",
    "my.ctr-1_x",
    "592cd7b63b812d6cac38af5f3f726747dbf740670df9c99d11f4781e2f71d7c9",
  ],
  ["", "default", "abc", "0531dfd4f71e7d2a923fd36fc57ffa0e9941aeaa852ec967d2987d93d881347a"],
  ["../rel//x/", "ns", "id", "034a028ed58af86968cccaf8585c763211a8496a031959260dce405ac319b413"],
];

// The POSIX address resolves paths with the host's `path` (containerd does so with Go's on Linux): on a
// Windows host the shim uses WindowsShimAddress only, so these run where POSIX paths are the host's.
(process.platform === "win32" ? describe.skip : describe)("platform/posix-address (POSIX hosts)", () => {
  const addr = new PosixShimAddress();

  for (const [address, ns, id, hex] of GO_VECTORS) {
    it(`socketAddress(${JSON.stringify(address)}, ${ns}, ${id}) → containerd's name`, () => {
      assert.equal(
        addr.socketAddress({ containerdAddress: address, namespace: ns, id }),
        `unix://${DEFAULT_SOCKET_DIR}/${hex}`,
      );
    });
  }

  it("goJoin behaves like Go's filepath.Join", () => {
    assert.equal(goJoin("/a/", "b", "c"), "/a/b/c");
    assert.equal(goJoin("", "b"), "b");
    assert.equal(goJoin("", ""), "");
    assert.equal(goJoin("a/../..", "b"), "../b");
    assert.equal(goJoin("/", ".."), "/");
    assert.equal(goJoin("./", "."), ".");
    assert.equal(goJoin("//x//", "y/"), "/x/y");
  });

  it("socketDir override (resolved to an absolute path) keeps the same file name", () => {
    const a = new PosixShimAddress({ socketDir: "/tmp/s" }).socketAddress({
      containerdAddress: "/run/containerd/containerd.sock",
      namespace: "default",
      id: "abc",
    });
    assert.equal(a, `unix:///tmp/s/${GO_VECTORS[0]![3]}`);
  });

  it(`a socket path over ${SOCKET_PATH_LIMIT} bytes → InvalidArgumentError`, () => {
    const who = { containerdAddress: "/c.sock", namespace: "default", id: "x" };
    const fits = `/${"d".repeat(SOCKET_PATH_LIMIT - 66)}`; // + "/" + 64 hex = exactly the limit
    assert.equal(
      new PosixShimAddress({ socketDir: fits }).toListenPath(
        new PosixShimAddress({ socketDir: fits }).socketAddress(who),
      ).length,
      SOCKET_PATH_LIMIT,
    );
    assert.throws(
      () => new PosixShimAddress({ socketDir: `${fits}d` }).socketAddress(who),
      InvalidArgumentError,
    );
  });

  it("unsafe namespace or id → InvalidArgumentError", () => {
    for (const [namespace, id] of [
      ["..", "x"],
      ["default", "../x"],
      ["default", ""],
      ["a/b", "x"],
    ] as const) {
      assert.throws(
        () => addr.socketAddress({ containerdAddress: "/c.sock", namespace, id }),
        InvalidArgumentError,
      );
    }
  });

  it("logEndpoint is the bundle's log FIFO", () => {
    assert.equal(addr.logEndpoint({ namespace: "default", id: "abc" }, "/run/b/abc"), "/run/b/abc/log");
  });

  it("toListenPath strips unix://; a bare name is an abstract socket", () => {
    assert.equal(addr.toListenPath("unix:///run/containerd/s/abc"), "/run/containerd/s/abc");
    assert.equal(addr.toListenPath("name"), "\0name");
  });
});

describe("platform/windows-address", () => {
  const addr = new WindowsShimAddress();
  const who = { containerdAddress: "\\\\.\\pipe\\containerd-containerd", namespace: "k8s.io", id: "c1" };

  it("socketAddress → hcsshim's protected pipe name", () => {
    assert.equal(
      addr.socketAddress(who),
      "\\\\.\\pipe\\ProtectedPrefix\\Administrators\\containerd-shim-k8s.io-c1-pipe",
    );
  });
  it("logEndpoint → the pipe containerd dials", () => {
    assert.equal(addr.logEndpoint(who, "C:\\bundle"), "\\\\.\\pipe\\containerd-shim-k8s.io-c1-log");
  });
  it("toListenPath keeps pipe names and rejects anything else", () => {
    assert.equal(addr.toListenPath("\\\\.\\pipe\\x"), "\\\\.\\pipe\\x");
    assert.throws(() => addr.toListenPath("unix:///x"), InvalidArgumentError);
  });
  it("unsafe id → InvalidArgumentError (no pipe path injection)", () => {
    assert.throws(() => addr.socketAddress({ ...who, id: "a\\b" }), InvalidArgumentError);
    assert.throws(() => addr.logEndpoint({ namespace: "x", id: "..\\y" }, ""), InvalidArgumentError);
  });
});

const CONTAINERD_SRC = "/usr/share/gocode/src/github.com/containerd/containerd";
const haveGo = spawnSync("go", ["version"]).status === 0 && existsSync(CONTAINERD_SRC);

/** Reads "address\tns\tid" lines, prints containerd's SocketAddress and identifiers.Validate results. */
const GO_PROGRAM = `package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/containerd/containerd/identifiers"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/runtime/v2/shim"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Split(in.Text(), "\\t")
		ctx := namespaces.WithNamespace(context.Background(), f[1])
		a, _ := shim.SocketAddress(ctx, f[0], f[2])
		fmt.Printf("%s\\t%v\\t%v\\n", a, identifiers.Validate(f[1]) == nil, identifiers.Validate(f[2]) == nil)
	}
}
`;

(haveGo ? describe : describe.skip)("platform/posix-address against containerd's Go code", function () {
  this.timeout(300_000);
  it("SocketAddress and identifiers.Validate agree on generated inputs", async () => {
    const { isSafeId } = await import("../../../src/ids.js");
    const dir = mkdtempSync(join(tmpdir(), "h7-go-"));
    try {
      writeFileSync(join(dir, "main.go"), GO_PROGRAM);
      const env = {
        ...process.env,
        GO111MODULE: "off",
        GOPATH: "/usr/share/gocode",
        GOPROXY: "off",
        GOFLAGS: "-mod=mod",
      };
      execFileSync("go", ["build", "-o", join(dir, "probe"), "."], { cwd: dir, env, stdio: "pipe" });
      const idChars = fc.constantFrom(..."aZ09._-/\\ é".split(""));
      const ident = fc.oneof(
        fc.string({ unit: idChars, maxLength: 80 }),
        fc.stringMatching(/^[a-zA-Z0-9]{1,8}([._-][a-zA-Z0-9]{1,8}){0,4}$/),
        fc.constantFrom("default", "k8s.io", "a".repeat(76), "a".repeat(77)),
      );
      const address = fc.string({ unit: fc.constantFrom(..."/.ab_".split("")), maxLength: 30 });
      const cases = fc.sample(fc.tuple(address, ident, ident), { numRuns: 300, seed: 7 });
      const input = cases.map((c) => c.join("\t")).join("\n");
      const lines = execFileSync(join(dir, "probe"), { input, encoding: "utf8" })
        .replace(/\n$/, "")
        .split("\n");
      assert.equal(lines.length, cases.length);
      const ours = new PosixShimAddress();
      let compared = 0;
      cases.forEach(([a, ns, id], i) => {
        const [goAddr, goNsOk, goIdOk] = lines[i]!.split("\t");
        assert.equal(isSafeId(ns), goNsOk === "true", `namespace ${JSON.stringify(ns)}`);
        assert.equal(isSafeId(id), goIdOk === "true", `id ${JSON.stringify(id)}`);
        if (ns !== "" && isSafeId(ns) && isSafeId(id)) {
          assert.equal(
            ours.socketAddress({ containerdAddress: a, namespace: ns, id }),
            goAddr,
            JSON.stringify([a, ns, id]),
          );
          compared++;
        }
      });
      assert.ok(compared >= 50, `only ${compared} valid (ns, id) pairs generated`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
