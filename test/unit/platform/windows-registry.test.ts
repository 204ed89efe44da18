import assert from "node:assert/strict";
import {
  goPathEscape,
  REG_BINARY,
  REG_DWORD,
  REG_QWORD,
  type RegistryReader,
  type RegistryValue,
  RunhcsRegistryState,
  runhcsKeyPath,
} from "../../../src/platform/windows-registry.js";

class FakeRegistry implements RegistryReader {
  readonly keys = new Map<string, Map<string, RegistryValue>>();
  readonly reads: string[] = [];
  set(key: string, name: string, value: RegistryValue): void {
    const k = this.keys.get(key) ?? new Map<string, RegistryValue>();
    k.set(name, value);
    this.keys.set(key, k);
  }
  readLocalMachine(subKey: string, name: string): RegistryValue | undefined {
    this.reads.push(`${subKey}:${name}`);
    return this.keys.get(subKey)?.get(name);
  }
}

const qword = (n: number): RegistryValue => {
  const data = Buffer.alloc(8);
  data.writeBigUInt64LE(BigInt(n));
  return { type: REG_QWORD, data };
};

describe("platform/windows-registry (runhcs's regstate, read-only)", () => {
  it("goPathEscape matches Go's url.PathEscape", () => {
    // Expected values from Go 1.19: fmt.Println(url.PathEscape(s)).
    assert.equal(goPathEscape("default"), "default");
    assert.equal(goPathEscape("a b/c"), "a%20b%2Fc");
    assert.equal(goPathEscape("C:\\x"), "C:%5Cx");
    assert.equal(goPathEscape("$&+:=@-_.~"), "$&+:=@-_.~");
    assert.equal(goPathEscape("?#%;,"), "%3F%23%25%3B%2C");
    assert.equal(goPathEscape("é"), "%C3%A9");
  });

  it("key path: SOFTWARE\\Microsoft\\runhcs\\<root or default>\\<id>, both escaped", () => {
    assert.equal(runhcsKeyPath("", "c1"), "SOFTWARE\\Microsoft\\runhcs\\default\\c1");
    assert.equal(runhcsKeyPath("C:\\r t", "a/b"), "SOFTWARE\\Microsoft\\runhcs\\C:%5Cr%20t\\a%2Fb");
  });

  it("pid-<helper> and pid as REG_QWORD (or REG_DWORD); missing key or value → undefined", () => {
    const reg = new FakeRegistry();
    const key = runhcsKeyPath("", "c1");
    reg.set(key, "pid-4242", qword(7));
    reg.set(key, "pid", { type: REG_DWORD, data: Buffer.from([3, 0, 0, 0]) });
    const state = new RunhcsRegistryState(reg);
    assert.equal(state.containerPid("", "c1", 4242), 7);
    assert.equal(state.initPid("", "c1"), 3);
    assert.equal(state.containerPid("", "c1", 4243), undefined);
    assert.equal(state.containerPid("", "c2", 4242), undefined);
    assert.deepEqual(reg.reads.slice(0, 2), [`${key}:pid-4242`, `${key}:pid`]);
  });

  it("a pid value of another type is an error, not a pid", () => {
    const reg = new FakeRegistry();
    reg.set(runhcsKeyPath("", "c1"), "pid-1", { type: REG_BINARY, data: Buffer.from("7") });
    assert.throws(() => new RunhcsRegistryState(reg).containerPid("", "c1", 1), /not an integer/);
  });

  it("state: Spec.Linux → LCOW; a Windows spec → WCOW; missing or unreadable → undefined", () => {
    const reg = new FakeRegistry();
    const bin = (v: unknown): RegistryValue => ({ type: REG_BINARY, data: Buffer.from(JSON.stringify(v)) });
    reg.set(runhcsKeyPath("", "l"), "state", bin({ Spec: { Linux: {} } }));
    reg.set(runhcsKeyPath("", "w"), "state", bin({ Spec: { Windows: {}, Linux: null } }));
    reg.set(runhcsKeyPath("", "x"), "state", { type: REG_BINARY, data: Buffer.from("{") });
    const state = new RunhcsRegistryState(reg);
    assert.equal(state.isLcow("", "l"), true);
    assert.equal(state.isLcow("", "w"), false);
    assert.equal(state.isLcow("", "x"), undefined);
    assert.equal(state.isLcow("", "none"), undefined);
  });
});
