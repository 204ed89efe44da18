// Entry of the single executable: runs the shim's main (src/shim/main.ts exports `run`, bin/ calls it).
import { run } from "../../src/shim/main.ts";

void run();
