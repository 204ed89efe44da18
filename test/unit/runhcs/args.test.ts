import assert from "node:assert/strict";
import { resolve } from "node:path";
import { InvalidArgumentError } from "../../../src/errdefs.js";
import { isNamedPipe, logPath } from "../../../src/runhcs/args.js";
import { createArgs } from "../../../src/runhcs/create.js";
import { deleteArgs } from "../../../src/runhcs/delete.js";
import { execArgs } from "../../../src/runhcs/exec.js";
import { globalArgs } from "../../../src/runhcs/global-args.js";
import { killArgs } from "../../../src/runhcs/kill.js";
import { listArgs } from "../../../src/runhcs/list.js";
import { pauseArgs } from "../../../src/runhcs/pause.js";
import { psArgs } from "../../../src/runhcs/ps.js";
import { resizeTtyArgs } from "../../../src/runhcs/resize-tty.js";
import { resumeArgs } from "../../../src/runhcs/resume.js";
import { startArgs } from "../../../src/runhcs/start.js";
import { stateArgs } from "../../../src/runhcs/state.js";
import { everyGlobal, everyGlobalArgv, SHIM_LOG_PIPE as PIPE } from "./fixtures.js";

describe("runhcs args", () => {
  it("globalArgs emits debug, log, log-format, owner, root in go-runhcs order", () => {
    assert.deepEqual(globalArgs(everyGlobal("r.log")), everyGlobalArgv("r.log"));
  });

  it("globalArgs omits unset and empty flags", () => {
    assert.deepEqual(globalArgs({}), []);
    assert.deepEqual(globalArgs({ debug: false, log: "", owner: "", root: "" }), []);
    assert.deepEqual(globalArgs({ logFormat: "text" }), ["--log-format", "text"]);
  });

  it("globalArgs passes a named-pipe log verbatim", () => {
    assert.deepEqual(globalArgs({ log: PIPE }), ["--log", PIPE]);
  });

  it("globalArgs rejects an unknown log format", () => {
    assert.throws(() => globalArgs({ logFormat: "xml" as "json" }), InvalidArgumentError);
  });

  it("isNamedPipe/logPath: pipes verbatim (any case), files absolute", () => {
    assert.equal(isNamedPipe("\\\\.\\PIPE\\x"), true);
    assert.equal(isNamedPipe("/tmp/x"), false);
    assert.equal(logPath(PIPE), PIPE);
    assert.equal(logPath("a/b.log"), resolve("a/b.log"));
  });

  it("create: bundle as given, pid-file absolute, shim-log pipe verbatim, vm-log absolute, id last", () => {
    assert.deepEqual(
      createArgs({
        id: "c1",
        bundle: "rel/bundle",
        pidFile: "rel/bundle/runhcs-pidfile.pid",
        shimLog: PIPE,
        vmLog: "vm.log",
      }),
      [
        "create",
        "--bundle",
        "rel/bundle",
        "--pid-file",
        resolve("rel/bundle/runhcs-pidfile.pid"),
        "--shim-log",
        PIPE,
        "--vm-log",
        resolve("vm.log"),
        "c1",
      ],
    );
    assert.deepEqual(createArgs({ id: "c1", bundle: "/b" }), ["create", "--bundle", "/b", "c1"]);
  });

  it("exec: --process, --detach, --pid-file, --shim-log, then the container id", () => {
    assert.deepEqual(
      execArgs({
        id: "c1",
        processFile: "/b/exec-c1-e1config.json",
        detach: true,
        pidFile: "/b/p.pid",
        shimLog: "s.log",
      }),
      [
        "exec",
        "--process",
        "/b/exec-c1-e1config.json",
        "--detach",
        "--pid-file",
        resolve("/b/p.pid"), // made absolute as go-runhcs does (on Windows: with the current drive)
        "--shim-log",
        resolve("s.log"),
        "c1",
      ],
    );
    assert.deepEqual(execArgs({ id: "c1", processFile: "p.json" }), ["exec", "--process", "p.json", "c1"]);
  });

  it("start, state, pause, resume, ps, list", () => {
    assert.deepEqual(startArgs({ id: "c1" }), ["start", "c1"]);
    assert.deepEqual(stateArgs({ id: "c1" }), ["state", "c1"]);
    assert.deepEqual(pauseArgs({ id: "c1" }), ["pause", "c1"]);
    assert.deepEqual(resumeArgs({ id: "c1" }), ["resume", "c1"]);
    assert.deepEqual(psArgs({ id: "c1" }), ["ps", "--format=json", "c1"]);
    assert.deepEqual(listArgs(), ["list", "--format=json"]);
  });

  it("kill: signal positional after the id, numbers in decimal", () => {
    assert.deepEqual(killArgs({ id: "c1", signal: 15 }), ["kill", "c1", "15"]);
    assert.deepEqual(killArgs({ id: "c1", signal: "SIGKILL" }), ["kill", "c1", "SIGKILL"]);
    assert.throws(() => killArgs({ id: "c1", signal: -1 }), InvalidArgumentError);
    assert.throws(() => killArgs({ id: "c1", signal: 1.5 }), InvalidArgumentError);
    assert.throws(() => killArgs({ id: "c1", signal: "" }), InvalidArgumentError);
  });

  it("delete: --force before the id", () => {
    assert.deepEqual(deleteArgs({ id: "c1", force: true }), ["delete", "--force", "c1"]);
    assert.deepEqual(deleteArgs({ id: "c1" }), ["delete", "c1"]);
  });

  it("resize-tty: optional --pid, then id width height", () => {
    assert.deepEqual(resizeTtyArgs({ id: "c1", pid: 4242, width: 80, height: 24 }), [
      "resize-tty",
      "--pid",
      "4242",
      "c1",
      "80",
      "24",
    ]);
    assert.deepEqual(resizeTtyArgs({ id: "c1", width: 65535, height: 1 }), [
      "resize-tty",
      "c1",
      "65535",
      "1",
    ]);
  });

  it("resize-tty rejects sizes outside 1..65535 and bad pids", () => {
    for (const bad of [0, -1, 65536, 1.5, Number.NaN]) {
      assert.throws(
        () => resizeTtyArgs({ id: "c1", width: bad, height: 24 }),
        InvalidArgumentError,
        `width ${bad}`,
      );
      assert.throws(
        () => resizeTtyArgs({ id: "c1", width: 80, height: bad }),
        InvalidArgumentError,
        `height ${bad}`,
      );
    }
    assert.throws(() => resizeTtyArgs({ id: "c1", pid: 0, width: 80, height: 24 }), InvalidArgumentError);
  });

  it("every subcommand rejects an empty id or one that looks like a flag", () => {
    for (const id of ["", "-x", "--force"]) {
      assert.throws(() => startArgs({ id }), InvalidArgumentError);
      assert.throws(() => createArgs({ id, bundle: "/b" }), InvalidArgumentError);
      assert.throws(() => killArgs({ id, signal: 9 }), InvalidArgumentError);
      assert.throws(() => deleteArgs({ id, force: true }), InvalidArgumentError);
      assert.throws(() => execArgs({ id, processFile: "p" }), InvalidArgumentError);
    }
  });
});
