// Entry of the single executable: runs the shim's main (src/shim/main.ts exports `run`, bin/ calls it).
import { isSea } from "node:sea";
import { run } from "../../src/shim/main.ts";

// In a single executable Node repeats argv[0] as argv[1] (there is no script path). `start` re-executes
// itself as [process.execPath, ...process.execArgv, process.argv[1]] + flags, which would pass that
// path as the first argument, where the server's flag parser takes it for the action. Until start.ts
// leaves argv[1] out under node:sea's isSea(), argv[1] is made a flag that changes nothing (-v defaults
// to false and nothing else passes it to the server).
if (isSea()) process.argv[1] = "-v=false";

void run();
