// botwire for Cloudflare's runtime (workerd): the package's `workerd` export condition. The
// same API as index.js; the WebAssembly module comes in as an imported module.

import './js/load-workerd.js';
import { version as engineVersion } from './pkg/botwire_wasm.js';

export * from './js/api.js';

/** The package's version. */
export const version = engineVersion();
