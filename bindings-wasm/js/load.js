// Loads the WebAssembly module, once, when the package is imported: in Node from the file
// beside the glue, elsewhere (browsers, Deno, Bun) by the glue's own fetch of that file.

import init, { initSync } from '../pkg/botwire_wasm.js';

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const wasmUrl = new URL('../pkg/botwire_wasm_bg.wasm', import.meta.url);

if (isNode && wasmUrl.protocol === 'file:') {
  const { readFileSync } = await import('node:fs');
  initSync({ module: readFileSync(wasmUrl) });
} else {
  // The glue fetches the module beside itself, so a page whose import map swaps the glue for
  // another build's (the web demo loads the one with the simulators) gets that build's module.
  await init();
}
