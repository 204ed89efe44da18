import assert from "node:assert/strict";
import { isContainerStopped, isNotFound, RuntimeError } from "../../../src/runhcs/errors.js";
import { lastErrorMessage } from "../../../src/runhcs/log-tail.js";
import { Code, toStatus } from "../../../src/ttrpc/status.js";

function rt(runtimeMessage: string, exitCode: number | null = 1): RuntimeError {
  return new RuntimeError({ command: "kill", argv: ["runhcs", "kill", "c1", "9"], exitCode, runtimeMessage });
}

describe("runhcs errors", () => {
  it("RuntimeError carries command, argv, exit code and runhcs's message", () => {
    const e = rt("container is stopped");
    assert.ok(e instanceof Error);
    assert.equal(e.name, "RuntimeError");
    assert.equal(e.message, "runhcs kill: container is stopped (exit status 1)");
    assert.deepEqual(e.argv, ["runhcs", "kill", "c1", "9"]);
    assert.equal(e.exitCode, 1);
    assert.equal(e.runtimeMessage, "container is stopped");
  });

  it("RuntimeError without a message says it did not terminate successfully", () => {
    assert.equal(rt("").message, "runhcs kill: did not terminate successfully (exit status 1)");
    const killed = new RuntimeError({
      command: "state",
      argv: [],
      exitCode: null,
      signal: "SIGKILL",
      runtimeMessage: "",
    });
    assert.equal(killed.message, "runhcs state: did not terminate successfully (signal SIGKILL)");
  });

  it("RuntimeError is not a status class: it maps to Unknown with its message", () => {
    assert.deepEqual(toStatus(rt("boom")), {
      code: Code.Unknown,
      message: "runhcs kill: boom (exit status 1)",
    });
  });

  it("isContainerStopped matches runhcs's text, also through a cause chain", () => {
    assert.equal(isContainerStopped(rt("container is stopped")), true);
    assert.equal(isContainerStopped(new Error("wrap", { cause: rt("container is stopped") })), true);
    assert.equal(isContainerStopped(rt("invalid signal '99'")), false);
    assert.equal(isContainerStopped("container is stopped"), false);
  });

  it("isNotFound matches the registry and generic not-found messages", () => {
    assert.equal(isNotFound(rt("state 'state' is not present for ID 'c1'")), true);
    assert.equal(isNotFound(rt("container c1 not found")), true);
    assert.equal(isNotFound(rt("The system cannot find the file: it does not exist")), true);
    assert.equal(isNotFound(rt("container is stopped")), false);
  });

  it("lastErrorMessage picks the last error-level JSON line", () => {
    const log = [
      '{"level":"error","msg":"older"}',
      '{"level":"info","msg":"starting"}',
      "not json",
      '{"level":"error","msg":"container is stopped","time":"t"}',
      '{"level":"debug","msg":"exiting"}',
      "",
    ].join("\n");
    assert.equal(lastErrorMessage(log), "container is stopped");
  });

  it("lastErrorMessage appends a logrus error field and ignores non-error levels", () => {
    assert.equal(
      lastErrorMessage('{"level":"error","msg":"failed","error":"access denied"}'),
      "failed: access denied",
    );
    assert.equal(lastErrorMessage('{"level":"fatal","msg":"x"}\r\n'), "x");
    assert.equal(lastErrorMessage('{"level":"warning","msg":"x"}\n{"level":"error"'), "");
    assert.equal(lastErrorMessage(""), "");
  });
});
