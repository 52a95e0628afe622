// botwire: chat bots for Telegram and TrueConf on a sans-IO Rust runtime compiled to
// WebAssembly. Works in browsers, Node >= 20 and fetch-handler runtimes (Cloudflare's workerd
// imports worker.js instead, through the package's `workerd` export condition).

import './js/load.js';
import { version as engineVersion } from './pkg/botwire_wasm.js';

export * from './js/api.js';

/** The package's version. */
export const version = engineVersion();
