// What the package needs from its host besides the WebAssembly module (which the entry loads:
// `js/load.js`, or `js/load-workerd.js` in Cloudflare's runtime): a WebSocket class (browsers,
// Deno and workerd have one; Node 20 gets it from `ws`).

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

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
