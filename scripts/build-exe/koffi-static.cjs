// Replaces koffi's `src/static.cjs` in the single executable's bundle (see build-exe.mjs). koffi asks it for
// the prebuilt addon of the running platform (`pkg` = "<platform>-<arch>") before searching the disk; here
// the addon is the SEA asset `koffi-<pkg>.node`, and a failure throws (koffi's own version swallows it and
// ends with a vague "Cannot find the native Koffi module").
"use strict";
const { loadNativeAsset } = require("./native-asset.cjs");

function loadStatic(pkg) {
  return loadNativeAsset(`koffi-${pkg}.node`);
}

module.exports = { loadStatic };
