/**
 * The layering of src/ (README "Layout"), checked by test/unit/ci/layering.test.ts in the test command:
 * ttrpc is a general library; platform and process sit at the bottom (they may use only errdefs and ids);
 * nothing below the service imports it; the shim (the binary) sits on top; the binary's `delete` action does
 * not reach the service; no cycles; src never imports test.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "ttrpc-is-general",
      comment: "src/ttrpc is a general ttrpc library: it imports nothing of the shim or of containerd",
      severity: "error",
      from: { path: "^src/ttrpc/" },
      to: { path: "^src/", pathNot: "^src/ttrpc/" },
    },
    {
      name: "platform-at-the-bottom",
      comment: "src/platform imports nothing above it (errdefs and ids are leaf utilities)",
      severity: "error",
      from: { path: "^src/platform/" },
      to: { path: "^src/", pathNot: "^src/(platform/|errdefs\\.ts$|ids\\.ts$)" },
    },
    {
      name: "process-at-the-bottom",
      comment: "src/process (the state machines) imports nothing above it",
      severity: "error",
      from: { path: "^src/process/" },
      to: { path: "^src/", pathNot: "^src/(process/|errdefs\\.ts$)" },
    },
    {
      name: "service-above-the-parts",
      comment: "the modules the service wires together do not import it",
      severity: "error",
      from: { path: "^src/(ttrpc|platform|process|runhcs|bundle|stdio|events|log|gen)/" },
      to: { path: "^src/service/" },
    },
    {
      name: "shim-on-top",
      comment: "the binary (src/shim) is the top: nothing else imports it",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/shim/" },
      to: { path: "^src/shim/" },
    },
    {
      name: "delete-action-without-the-service",
      comment:
        "the binary's `delete` action (containerd runs it once the server is gone) reaches nothing of the " +
        "service, not even through other modules: the bundle's file names come from src/bundle/files.ts",
      severity: "error",
      from: { path: "^src/shim/delete\\.ts$" },
      to: { path: "^src/service/", reachable: true },
    },
    {
      name: "no-cycles",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "src-not-test",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^test/" },
    },
  ],
  options: {
    doNotFollow: { path: ["node_modules", "^src/gen/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
