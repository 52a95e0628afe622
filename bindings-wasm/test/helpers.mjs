// Test helpers: the loopback simulator server (botwire-sim) started on a free port, its
// control API, and bounded waits. Every process started here is killed by `stop()`.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const packageDir = path.resolve(here, '..');
export const repoDir = path.resolve(packageDir, '..');

/** The botwire-sim binary: $BOTWIRE_SIM, or the debug build in Cargo's target directory. */
export function simBinary() {
  const candidates = [
    process.env.BOTWIRE_SIM,
    process.env.CARGO_TARGET_DIR && path.join(process.env.CARGO_TARGET_DIR, 'debug', 'botwire-sim'),
    path.join(repoDir, 'target', 'debug', 'botwire-sim'),
  ].filter(Boolean);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `botwire-sim not found (tried ${candidates.join(', ')}): run 'cargo build -p botwire-sim' or set BOTWIRE_SIM`,
    );
  }
  return found;
}

/** Starts botwire-sim (`args` e.g. ['--platform', 'trueconf']) and resolves once it listens. */
export function startSim(args = [], { timeoutMs = 15000 } = {}) {
  const proc = spawn(simBinary(), ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`botwire-sim did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`botwire-sim exited with ${code}: ${stderr}`));
    });
    proc.stdout.on('data', (chunk) => {
      buffer += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(buffer);
      if (!match) return;
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      const sim = {
        url: match[1],
        port: Number(match[2]),
        proc,
        stop() {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
          return new Promise((done) => {
            if (proc.exitCode !== null || proc.signalCode !== null) done();
            else proc.once('exit', () => done());
          });
        },
      };
      resolve(sim);
    });
  });
}

/** A JSON request to the simulator's control API; resolves with `result`. */
export async function control(sim, route, body = undefined) {
  const response = await fetch(`${sim.url}${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(65000),
  });
  const answer = await response.json();
  if (!answer.ok) throw new Error(`${route}: ${answer.error}`);
  return answer.result;
}

/** Telegram: the bot's transcript once it has `min` entries from `since` (waits ≤ waitMs). */
export function transcript(sim, { since = 0, min = 1, waitMs = 10000 } = {}) {
  return control(sim, `/control/transcript?since=${since}&min=${min}&wait_ms=${waitMs}`);
}

/** Resolves when `predicate()` holds, checking every `everyMs`; rejects after `timeoutMs`. */
export async function until(predicate, { timeoutMs = 10000, everyMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Collects unhandled promise rejections while a test file runs. */
export function watchRejections() {
  const seen = [];
  const listener = (reason) => seen.push(reason);
  process.on('unhandledRejection', listener);
  return {
    seen,
    stop() {
      process.off('unhandledRejection', listener);
    },
  };
}

/** The Telegram simulator's token. */
export const TOKEN = '123456:TEST-TOKEN';

/**
 * The package with its simulator build (`pkg-sim/`, made by build.sh next to the shipped
 * `pkg/`, which has no simulators): a copy of the package's JavaScript in a temporary folder
 * whose `pkg/` is `pkg-sim/`, imported, then deleted (the module and its WebAssembly are read
 * at import, so the copy is not needed afterwards). Resolves with the package's exports.
 */
export async function importSimulatorBuild() {
  const simBuild = path.join(packageDir, 'pkg-sim');
  if (!existsSync(path.join(simBuild, 'botwire_wasm_bg.wasm'))) {
    throw new Error(`${simBuild} is missing: run 'bash build.sh' (or make npm-build)`);
  }
  const copy = await mkdtemp(path.join(tmpdir(), 'botwire-sim-build-'));
  try {
    for (const entry of ['package.json', 'index.js', 'js']) {
      await cp(path.join(packageDir, entry), path.join(copy, entry), { recursive: true });
    }
    await cp(simBuild, path.join(copy, 'pkg'), { recursive: true });
    // The package's dependencies (`ws`, for Node 20's missing WebSocket).
    await symlink(path.join(packageDir, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    return await import(pathToFileURL(path.join(copy, 'index.js')).href);
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

/** A free loopback port (closed again before the caller's server takes it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Copies what the package ships (package.json `files`) into `dir`; returns its manifest and
 * the JS and wasm files, relative to `dir`. */
export async function copyPackage(dir) {
  const manifest = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8'));
  const shipped = [];
  for (const entry of manifest.files) {
    const from = path.join(packageDir, entry);
    await cp(from, path.join(dir, entry), { recursive: true });
    if (entry.endsWith('/')) {
      for (const name of await readdir(from, { recursive: true })) shipped.push(path.posix.join(entry, name));
    } else shipped.push(entry);
  }
  await writeFile(path.join(dir, 'package.json'), JSON.stringify(manifest));
  return { manifest, modules: shipped.filter((f) => f.endsWith('.js') || f.endsWith('.wasm')) };
}

/** Runs a webhook server program (`file args`, in `opts.cwd`) that answers `GET /version`
 * with the package's version and takes Telegram deliveries on `POST /hook`, and waits until
 * it serves on `port`. Resolves with `{ version, output(), deliver(update, secret?), stop() }`:
 * what it printed so far, a delivery with the secret-token header, and a kill. */
export async function serveWebhook(file, args, { cwd, env = {}, port, name }) {
  const child = spawn(file, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  };
  const base = `http://127.0.0.1:${port}`;
  let version;
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
        try {
          const r = await fetch(`${base}/version`, { signal: AbortSignal.timeout(2000) });
          version = await r.text();
          return r.status === 200;
        } catch {
          return false;
        }
      },
      { timeoutMs: 30000, everyMs: 100, what: `${name} to serve` },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const deliver = (update, secret = 's3cret') =>
    fetch(`${base}/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
      body: JSON.stringify(update),
      signal: AbortSignal.timeout(10000),
    });
  return { version, output: () => output, deliver, stop };
}
