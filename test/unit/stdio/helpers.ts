/**
 * Test helpers for src/stdio: a stand-in for containerd's side of the FIFOs (what ctr's cio does) and a
 * "container" spawned with the relay's stdio.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { ProcessIO } from "../../../src/stdio/index.js";

const execFileP = promisify(execFile);

/** A fresh temp dir, removed by the returned cleanup. */
export function tempDir(prefix = "h8-stdio-"): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** `mkfifo` each name in `dir`; returns their paths. */
export async function mkfifos(dir: string, ...names: string[]): Promise<string[]> {
  const paths = names.map((n) => path.join(dir, n));
  await execFileP("mkfifo", paths);
  return paths;
}

/** containerd's reader of a stdout/stderr FIFO: opened (non-blocking) before the shim opens its end. */
export interface FifoReader {
  readonly socket: net.Socket;
  /** Bytes received so far. */
  received(): number;
  /** Everything received, once the shim side closed (EOF). */
  readonly all: Promise<Buffer>;
}

/** Opens the read end of `fifo`; `slowMs` > 0 pauses that long after each chunk (a slow consumer). */
export function readFifo(fifo: string, slowMs = 0): FifoReader {
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const socket = new net.Socket({ fd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  let n = 0;
  const all = new Promise<Buffer>((resolve, reject) => {
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      n += d.length;
      if (slowMs > 0) {
        socket.pause();
        setTimeout(() => socket.resume(), slowMs);
      }
    });
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
  });
  return { socket, received: () => n, all };
}

/**
 * Keeps `fifo` open read-write (a raw descriptor): the shim's non-blocking write-open then always finds a
 * reader, and nothing here ever sees EOF. For tests that count descriptors. Close with `fs.closeSync`.
 */
export function holdFifo(fifo: string): number {
  return fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
}

/** containerd's writer of the stdin FIFO (opened after the shim's reader exists, so it cannot block). */
export function writeFifo(fifo: string): net.Socket {
  const fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  return new net.Socket({ fd, readable: false, writable: true });
}

/** A spawned "runhcs": its own process group, so cleanup can reach backgrounded grandchildren. */
export interface Container {
  readonly child: ChildProcess;
  /** Exit code (or signal name) of the direct child. */
  readonly exited: Promise<number | string>;
  /** SIGKILL the whole process group (grandchildren too); harmless if already gone. */
  kill(): void;
}

/**
 * Spawns `sh -c script` with the relay's stdio, detached like runhcs, and calls `afterSpawn()`.
 * A script may background a subshell and exit at once to mimic `runhcs create` leaving its helper behind.
 */
export function spawnContainer(io: ProcessIO, script: string): Container {
  const child = spawn("sh", ["-c", script], { stdio: [...io.runhcsStdio], detached: true });
  io.afterSpawn();
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
    child.on("error", () => resolve("spawn-error"));
  });
  return {
    child,
    exited,
    kill() {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

/** Number of open descriptors of this process. */
export function fdCount(): number {
  return fs.readdirSync("/proc/self/fd").length;
}

/** Each open descriptor of this process and what it points to (`pipe:[inode]`, a path, …). */
export function fdSnapshot(): Map<string, string> {
  const m = new Map<string, string>();
  for (const fd of fs.readdirSync("/proc/self/fd")) {
    try {
      m.set(fd, fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed meanwhile (e.g. the directory handle readdirSync used)
    }
  }
  return m;
}

/**
 * Descriptors open now that were not open (to the same object) in `before`: what a leak looks like, even
 * if unrelated descriptors (left over from other tests) closed meanwhile and kept the count equal.
 */
export function fdsOpenedSince(before: Map<string, string>): string[] {
  return [...fdSnapshot()].filter(([fd, link]) => before.get(fd) !== link).map(([fd, l]) => `${fd} -> ${l}`);
}

/** Rejects with a clear message if `p` does not settle within `ms` (avoids a silent mocha timeout). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Resolves true if `p` settles within `ms`, else false (for "must not have happened yet" checks). */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const r = await Promise.race([p.then(() => true as const), t]);
  clearTimeout(timer);
  return r;
}
