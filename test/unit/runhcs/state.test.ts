import assert from "node:assert/strict";
import { parseList } from "../../../src/runhcs/list.js";
import { parsePs } from "../../../src/runhcs/ps.js";
import { parseState } from "../../../src/runhcs/state.js";

const STATE = {
  ociVersion: "1.0.1",
  id: "c1",
  pid: 4242,
  status: "running",
  bundle: "C:\\b",
  rootfs: "C:\\b\\rootfs",
  created: "2026-11-25T13:00:00.123456789Z",
  owner: "",
};

describe("runhcs state/ps/list parsing", () => {
  it("parseState reads runhcs's pretty-printed JSON", () => {
    const s = parseState(JSON.stringify({ ...STATE, annotations: { a: "b" } }, null, 2));
    assert.deepEqual(s, { ...STATE, annotations: { a: "b" } });
  });

  it("parseState maps every known status and anything else to unknown", () => {
    for (const status of ["created", "running", "paused", "stopped", "unknown"]) {
      assert.equal(parseState(JSON.stringify({ ...STATE, status })).status, status);
    }
    assert.equal(parseState(JSON.stringify({ ...STATE, status: "Starting" })).status, "unknown");
  });

  it("parseState tolerates omitted annotations/owner and pid 0 of a stopped container", () => {
    const { owner: _o, ...rest } = STATE;
    const s = parseState(JSON.stringify({ ...rest, pid: 0, status: "stopped" }));
    assert.equal(s.pid, 0);
    assert.equal(s.owner, "");
    assert.deepEqual(s.annotations, {});
  });

  it("parseState rejects non-JSON, non-objects, a missing id and a bad pid", () => {
    assert.throws(() => parseState("warning: x\n{}"), /invalid JSON output/);
    assert.throws(() => parseState("[]"), /not a JSON object/);
    assert.throws(() => parseState(JSON.stringify({ ...STATE, id: undefined })), /missing "id"/);
    assert.throws(() => parseState(JSON.stringify({ ...STATE, pid: -1 })), /"pid"/);
    assert.throws(() => parseState(JSON.stringify({ ...STATE, pid: "1" })), /"pid"/);
  });

  it("parsePs: array of pids, null means none", () => {
    assert.deepEqual(parsePs("[1,2,300]"), [1, 2, 300]);
    assert.deepEqual(parsePs("null"), []);
    assert.throws(() => parsePs("{}"), /not a JSON array/);
    assert.throws(() => parsePs('["1"]'), /invalid pid/);
  });

  it("parseList: array of states, null means none", () => {
    assert.deepEqual(parseList("null"), []);
    const list = parseList(JSON.stringify([STATE, { ...STATE, id: "c2", status: "stopped", pid: 0 }]));
    assert.deepEqual(
      list.map((s) => [s.id, s.status, s.pid]),
      [
        ["c1", "running", 4242],
        ["c2", "stopped", 0],
      ],
    );
    assert.throws(() => parseList("[1]"), /not a JSON object/);
  });
});
