/**
 * An in-memory {@link CommandRunner} for tests of runhcs callers: records every spec and answers from a
 * queue of scripted responses (default: exit 0, no output). No process is spawned.
 */
import type { CommandResult, CommandRunner, CommandSpec } from "../../../src/runhcs/runner.js";

/** A scripted answer: a result (missing fields default), an error to reject with, or a function of the call. */
export type ScriptedResponse =
  | Partial<CommandResult>
  | Error
  | ((spec: CommandSpec) => Partial<CommandResult> | Promise<Partial<CommandResult>>);

/** Records calls; answers with queued responses in order, then with the default. */
export class RecordingRunner implements CommandRunner {
  readonly calls: CommandSpec[] = [];
  readonly #queue: ScriptedResponse[] = [];
  #default: ScriptedResponse = {};

  /** Queues responses for the next calls. */
  respond(...responses: ScriptedResponse[]): this {
    this.#queue.push(...responses);
    return this;
  }

  /** Response used once the queue is empty. */
  respondByDefault(response: ScriptedResponse): this {
    this.#default = response;
    return this;
  }

  /** argv (without the binary) of every call so far. */
  get argvs(): string[][] {
    return this.calls.map((c) => [...c.args]);
  }

  async run(spec: CommandSpec): Promise<CommandResult> {
    this.calls.push(spec);
    const next = this.#queue.shift() ?? this.#default;
    if (next instanceof Error) throw next;
    const partial = typeof next === "function" ? await next(spec) : next;
    return { exitCode: 0, signal: null, stdout: "", stderr: "", ...partial };
  }
}

RecordingRunner satisfies new () => CommandRunner;
