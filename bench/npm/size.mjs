// Sizes of the botwire npm package: every file its package.json `files` list ships, raw and
// gzipped (node:zlib, level 9), the WebAssembly module alone, and what a further `wasm-opt -Oz`
// pass would change on it (the build itself runs `wasm-opt -Os` with limited inlining, see
// bindings-wasm/build.sh), when binaryen's wasm-opt is on PATH.
//
//   node bench/npm/size.mjs [out.json]     (default target/npm_bench.json; other keys kept)

import { readFileSync, writeFileSync, mkdirSync, existsSync, statSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { gzipSync, constants } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const pkgDir = path.join(repo, 'bindings-wasm');
const outPath = path.resolve(process.argv[2] ?? path.join(repo, 'target', 'npm_bench.json'));
const TARGET_GZIP_BYTES = 250 * 1024;

const gz = (bytes) => gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length;

/** The files of an entry of `files`: a file, or every file under a directory. */
function expand(entry) {
  const full = path.join(pkgDir, entry);
  if (!existsSync(full)) throw new Error(`${entry} (in package.json files) does not exist: run make npm-build`);
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full, { recursive: true })
    .map((f) => path.join(entry, f))
    .filter((f) => statSync(path.join(pkgDir, f)).isFile())
    .sort();
}

const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
// npm always ships package.json itself.
const shipped = [...new Set(['package.json', ...manifest.files.flatMap(expand)])].map((f) => f.split(path.sep).join('/'));
const files = shipped.map((file) => {
  const bytes = readFileSync(path.join(pkgDir, file));
  return { file, bytes: bytes.length, gzip: gz(bytes) };
});
const total = {
  bytes: files.reduce((a, f) => a + f.bytes, 0),
  gzip: files.reduce((a, f) => a + f.gzip, 0),
};
const wasmFile = files.find((f) => f.file.endsWith('.wasm'));
// What a runtime loads: the module and the JavaScript (no types, README or manifest).
const loaded = files.filter((f) => f.file.endsWith('.wasm') || f.file.endsWith('.js'));
const code = {
  bytes: loaded.reduce((a, f) => a + f.bytes, 0),
  gzip: loaded.reduce((a, f) => a + f.gzip, 0),
};

// A further wasm-opt -Oz pass on a copy of the module, when available.
let wasmOpt = { available: false };
const probe = spawnSync('wasm-opt', ['--version'], { encoding: 'utf8', timeout: 10000 });
if (probe.status === 0 && wasmFile) {
  const dir = mkdtempSync(path.join(tmpdir(), 'botwire-size-'));
  try {
    const out = path.join(dir, 'opt.wasm');
    const run = spawnSync(
      'wasm-opt',
      ['-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-reference-types', '--enable-multivalue', '--enable-mutable-globals', path.join(pkgDir, wasmFile.file), '-o', out],
      { encoding: 'utf8', timeout: 300000 },
    );
    if (run.status === 0) {
      const bytes = readFileSync(out);
      wasmOpt = { available: true, version: probe.stdout.trim(), bytes: bytes.length, gzip: gz(bytes) };
    } else {
      wasmOpt = { available: true, version: probe.stdout.trim(), error: (run.stderr || String(run.error)).trim().split('\n')[0] };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const size = {
  package: `${manifest.name}@${manifest.version}`,
  files,
  total,
  code,
  wasm: wasmFile,
  target_gzip_bytes: TARGET_GZIP_BYTES,
  wasm_opt: wasmOpt,
};

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const f of files) console.log(`${f.file.padEnd(30)} ${kb(f.bytes).padStart(10)} ${kb(f.gzip).padStart(10)} gzip`);
console.log(`${'everything shipped'.padEnd(30)} ${kb(total.bytes).padStart(10)} ${kb(total.gzip).padStart(10)} gzip (target at most ${kb(TARGET_GZIP_BYTES)})`);
console.log(`${'of which .wasm and .js'.padEnd(30)} ${kb(code.bytes).padStart(10)} ${kb(code.gzip).padStart(10)} gzip (what a runtime loads)`);
if (wasmOpt.bytes !== undefined) {
  console.log(`wasm-opt -Oz: ${kb(wasmFile.bytes)} -> ${kb(wasmOpt.bytes)} (${kb(wasmFile.gzip)} -> ${kb(wasmOpt.gzip)} gzip)`);
} else {
  console.log(`wasm-opt: ${wasmOpt.available ? `failed: ${wasmOpt.error}` : 'not on PATH (Debian package binaryen)'}`);
}

let out = {};
if (existsSync(outPath)) {
  try {
    out = JSON.parse(readFileSync(outPath, 'utf8'));
  } catch {
    out = {};
  }
}
out.size = size;
mkdirSync(path.dirname(outPath), { recursive: true });
writeFileSync(outPath, JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${path.relative(process.cwd(), outPath) || outPath}`);
