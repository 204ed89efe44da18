/**
 * What the Go peer's client scenarios print, and the small helpers the interop tests share.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { StatusError } from "../../src/ttrpc/index.js";
import { runGoClient } from "./go-peer.js";

/** One call as the Go client reports it (client.go callResult). */
export interface GoCall {
  ok: boolean;
  code: number;
  message?: string;
  errText?: string;
  isStatus?: boolean;
  closed?: boolean;
  ctxErr?: boolean;
  size: number;
  sha256?: string;
  reply?: string;
  elapsedMs: number;
  containerdClass?: string;
  containerdText?: string;
}

/** An Echo round trip as the Go client reports it (client.go echoCheck). */
export interface GoEcho {
  sent: number;
  received?: number;
  equal?: boolean;
  error?: string;
}

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const text = new TextEncoder();
export const json = (v: unknown) => text.encode(JSON.stringify(v));
export const parse = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as unknown;

/** Drops what legitimately differs between two runs (durations). */
export function stable<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (k, x) => (k === "elapsedMs" ? undefined : x))) as T;
}

export function assertEchoed(e: GoEcho | undefined, what: string): void {
  assert.ok(e, `${what}: no result`);
  assert.equal(e.error, undefined, `${what}: ${e.error}`);
  assert.equal(e.received, e.sent, `${what}: size`);
  assert.equal(e.equal, true, `${what}: bytes differ`);
}

export async function goClient<T>(socket: string, caseName: string): Promise<T> {
  return (await runGoClient<T>(socket, caseName)).result;
}

export async function rejection(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err: unknown) {
    assert.ok(err instanceof StatusError, `expected a StatusError, got ${String(err)}`);
    return err;
  }
  assert.fail("call succeeded, expected an error");
}
