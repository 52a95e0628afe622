#!/usr/bin/env node
// Serves the web demo on 127.0.0.1 (Node's standard library only):
//
//   node web-demo/serve.mjs [port]      (no port, or 0: a free one)
//
// It serves the repository's web-demo/ folder and the npm package's browser files from
// bindings-wasm/ (index.js, js/, pkg/, pkg-sim/, types/), so that the page imports the package
// as `../bindings-wasm/index.js`; the page's import map loads the module of pkg-sim/ (the build
// with the simulators) in place of pkg/. Build the package first (`make npm-build`).

import http from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// What may be served, relative to the repository: folders end with a slash.
const allowed = [
  'web-demo/',
  'bindings-wasm/index.js',
  'bindings-wasm/index.d.ts',
  'bindings-wasm/js/',
  'bindings-wasm/pkg/',
  'bindings-wasm/pkg-sim/',
  'bindings-wasm/types/',
];

const mimeTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

function isAllowed(relative) {
  return allowed.some((entry) =>
    entry.endsWith('/') ? relative.startsWith(entry) : relative === entry,
  );
}

function send(res, status, text, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`);
}

async function handle(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    return;
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  } catch {
    send(res, 400, 'bad request');
    return;
  }
  if (pathname === '/' || pathname === '/web-demo') {
    res.writeHead(302, { location: '/web-demo/' });
    res.end();
    return;
  }
  if (pathname.endsWith('/')) pathname += 'index.html';
  const file = path.resolve(root, `.${pathname}`);
  const relative = path.relative(root, file).split(path.sep).join('/');
  if (relative.startsWith('..') || path.isAbsolute(relative) || pathname.includes('\0')) {
    send(res, 403, 'forbidden');
    return;
  }
  if (!isAllowed(relative) || relative.includes('/node_modules/')) {
    send(res, 404, 'not found');
    return;
  }
  let info;
  try {
    info = await stat(file);
  } catch {
    send(res, 404, 'not found');
    return;
  }
  if (!info.isFile()) {
    send(res, 404, 'not found');
    return;
  }
  res.writeHead(200, {
    'content-type': mimeTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

const portArg = process.argv[2] ?? process.env.PORT ?? '0';
const port = Number(portArg);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve.mjs: not a port: ${portArg}`);
  process.exit(2);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) send(res, 500, 'internal error');
    else res.destroy();
  });
});

server.on('error', (err) => {
  console.error(`serve.mjs: ${err.message}`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address();
  console.log(`botwire demo: http://127.0.0.1:${actual}/web-demo/`);
});

function shutdown() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  // Bounded: whatever is still open after a second does not keep the process alive.
  setTimeout(() => process.exit(0), 1000).unref();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
