// Loads the WebAssembly module in Cloudflare's runtime (workerd), which cannot fetch or read
// it at run time: it is imported as a compiled module (Wrangler bundles a `.wasm` import that
// way by default; a workerd configuration names it as a `wasm` module).

import module from '../pkg/botwire_wasm_bg.wasm';
import { initSync } from '../pkg/botwire_wasm.js';

initSync({ module });
