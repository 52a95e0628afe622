// What the package needs from its host: the WebAssembly module, loaded once when the package
// is imported, and a WebSocket class (browsers and Deno have one; Node 20 gets it from `ws`).

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

let NodeWebSocket;
if (typeof globalThis.WebSocket === 'undefined' && isNode) {
  try {
    const ws = await import('ws');
    const Base = ws.WebSocket ?? ws.default;
    // ws emits 'error' as a Node event, which throws when nobody listens (for example after
    // the socket was given up); errors are reported through the close event instead. And a
    // socket given up before its close event still delivers that event to a listener whose
    // WebAssembly side is gone (browsers get a synthetic close event at once; Node 20 has no
    // CloseEvent for that), so listeners are called through a guard.
    const guarded = new WeakMap();
    NodeWebSocket = class WebSocket extends Base {
      constructor(...args) {
        super(...args);
        this.on('error', () => {});
      }

      addEventListener(type, listener, options) {
        if (typeof listener !== 'function') return super.addEventListener(type, listener, options);
        const guard = function (...event) {
          try {
            return listener.apply(this, event);
          } catch {
            return undefined;
          }
        };
        guarded.set(listener, guard);
        return super.addEventListener(type, guard, options);
      }

      removeEventListener(type, listener) {
        return super.removeEventListener(type, guarded.get(listener) ?? listener);
      }
    };
  } catch {
    NodeWebSocket = undefined;
  }
}

/** Makes sure `globalThis.WebSocket` exists (a TrueConf bot needs one); in Node 20 it is the
 * `ws` package's class. */
export function ensureWebSocket() {
  if (typeof globalThis.WebSocket !== 'undefined') return;
  if (!NodeWebSocket) {
    throw new Error('this runtime has no WebSocket: install the "ws" package');
  }
  globalThis.WebSocket = NodeWebSocket;
}
