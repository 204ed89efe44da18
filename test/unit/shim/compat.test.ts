import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { OptionsSchema } from "../../../src/gen/containerd/runhcs/v1/runhcs_pb.js";
import {
  BootstrapParamsSchema,
  ExtensionSchema,
  LogLevel,
} from "../../../src/gen/containerd/runtime/bootstrap/v1/bootstrap_pb.js";
import { parseStartInput, readAll } from "../../../src/shim/compat.js";

const optionsAny = (debug: boolean, typeUrl: string = OptionsSchema.typeName) =>
  create(AnySchema, { typeUrl, value: toBinary(OptionsSchema, create(OptionsSchema, { debug })) });

describe("shim start stdin (compat)", () => {
  it("parseStartInput empty → no debug", () => {
    assert.deepEqual(parseStartInput(new Uint8Array()), { debug: false });
  });

  it("parseStartInput Any of runhcs Options{debug} → debug", () => {
    assert.deepEqual(parseStartInput(toBinary(AnySchema, optionsAny(true))), { debug: true });
    assert.deepEqual(parseStartInput(toBinary(AnySchema, optionsAny(false))), { debug: false });
  });

  it("parseStartInput Options{default_container_annotations} → the defaults for the group, also inside BootstrapParams", () => {
    const defaults = { "io.containerd.runhcs.v1.group": "all", other: "x" };
    const any = create(AnySchema, {
      typeUrl: OptionsSchema.typeName,
      value: toBinary(OptionsSchema, create(OptionsSchema, { defaultContainerAnnotations: defaults })),
    });
    assert.deepEqual(parseStartInput(toBinary(AnySchema, any)), {
      debug: false,
      defaultAnnotations: defaults,
    });
    const params = create(BootstrapParamsSchema, { extensions: [create(ExtensionSchema, { value: any })] });
    assert.deepEqual(parseStartInput(toBinary(BootstrapParamsSchema, params)).defaultAnnotations, defaults);
  });

  it("parseStartInput Any with type.googleapis.com prefix → recognised", () => {
    const any = optionsAny(true, `type.googleapis.com/${OptionsSchema.typeName}`);
    assert.equal(parseStartInput(toBinary(AnySchema, any)).debug, true);
  });

  it("parseStartInput Any of another runtime's options → ignored", () => {
    const any = create(AnySchema, { typeUrl: "containerd.runc.v1.Options", value: new Uint8Array([8, 1]) });
    assert.deepEqual(parseStartInput(toBinary(AnySchema, any)), { debug: false });
  });

  it("parseStartInput BootstrapParams → socket dir, ttrpc address, debug from log level or options", () => {
    const params = create(BootstrapParamsSchema, {
      instanceId: "i",
      namespace: "default",
      logLevel: LogLevel.INFO,
      containerdVersion: "2.3.0",
      containerdTtrpcAddress: "/run/containerd/containerd.sock.ttrpc",
      socketDir: "/tmp/sockets",
    });
    assert.deepEqual(parseStartInput(toBinary(BootstrapParamsSchema, params)), {
      debug: false,
      socketDir: "/tmp/sockets",
      ttrpcAddress: "/run/containerd/containerd.sock.ttrpc",
    });
    params.logLevel = LogLevel.DEBUG;
    assert.equal(parseStartInput(toBinary(BootstrapParamsSchema, params)).debug, true);
    params.logLevel = LogLevel.INFO;
    params.extensions = [create(ExtensionSchema, { value: optionsAny(true) })];
    assert.equal(parseStartInput(toBinary(BootstrapParamsSchema, params)).debug, true);
  });

  it("parseStartInput garbage → readable error", () => {
    assert.throws(
      () => parseStartInput(new Uint8Array([0xff, 0xff, 0xff])),
      /neither runtime options nor bootstrap/,
    );
  });

  it("readAll of a stream that never ends → a clear error after the bound, not a hang", async () => {
    const open = new PassThrough();
    open.write(Buffer.alloc(3));
    await assert.rejects(readAll(open, 100, 50), /stdin did not end within 50 ms/);
    open.destroy();
  });

  it("readAll over the cap → error", async () => {
    await assert.rejects(
      readAll(Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), 15),
      /larger than 15 bytes/,
    );
    assert.equal((await readAll(Readable.from([Buffer.alloc(10)]), 15)).length, 10);
  });
});
