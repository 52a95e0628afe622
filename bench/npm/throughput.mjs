// Throughput of the botwire npm package beside grammY, in one run, on the Bot API corpus
// of bench/telegram_corpus.py: every update, from its JSON text to a JS handler that replies.
//
//   node bench/npm/throughput.mjs [corpus dir] [out.json]
//     (defaults: target/bench-corpus-10000, target/npm_bench.json; BOTWIRE_CORPUS overrides)
//
// The same handlers on both: `/start` replies "Hello!", callback queries are answered, text
// messages and channel posts are echoed; each handler awaits its outgoing call, and a run ends
// when every handler has settled. Outgoing calls are swallowed:
// - grammY: an API transformer answers `{ ok: true, result: true }` (no request is built);
// - botwire: `options.transport` answers from memory (the runtime still builds each request
//   in WebAssembly and reads each answer, as with a network).
// botwire is fed as grammY is: `await bot.handleUpdate(text)` per update (the public path; the
// update's JSON text, which it decodes itself, with `intake: 'none'` and `botInfo`, so it
// neither polls nor calls getMe), and, for reference, through `bot.webhookHandler()` with a
// fetch `Request` per update (`intake: 'webhook'`).
// Each timed run is made in a fresh Node process of its own, after three warm-up runs in that
// process, so that no contender runs on a heap the others filled; the processes alternate
// between the contenders, and each figure is the median of 7 timed runs. Nothing here asserts
// on time.

import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Bot as GrammyBot } from 'grammy';
import { Bot } from '../../bindings-wasm/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
// `--child KEY` (given by this script to itself): the warm-up runs and one timed run of
// contender KEY, printed as JSON.
const childAt = process.argv.indexOf('--child');
const childKey = childAt === -1 ? undefined : process.argv[childAt + 1];
const args = childAt === -1 ? process.argv.slice(2) : process.argv.slice(2, childAt);
const corpusDir = path.resolve(args[0] ?? process.env.BOTWIRE_CORPUS ?? path.join(repo, 'target', 'bench-corpus-10000'));
const outPath = path.resolve(args[1] ?? path.join(repo, 'target', 'npm_bench.json'));
const RUNS = Number(process.env.BOTWIRE_NPM_RUNS ?? 7);
// Warm-up runs before the timed one, in each process: the engines keep optimising (JIT tiers,
// the WebAssembly module's optimising tier, heap sizes) over the first few runs.
const WARMUP_RUNS = Number(process.env.BOTWIRE_NPM_WARMUP ?? 3);
const SETTLE_TIMEOUT_MS = 120000;

const lines = readFileSync(path.join(corpusDir, 'updates.jsonl'), 'utf8').split('\n').filter((l) => l.length > 0);
const TOKEN = '123456:BENCH';
const BOT_USER = { id: 123456, is_bot: true, first_name: 'Bench', username: 'bench_bot' };

// ---- outgoing calls of botwire answered from memory ----
const SENT = JSON.stringify({
  ok: true,
  result: { message_id: 1, date: 1700000000, chat: { id: 1, type: 'private' }, from: BOT_USER, text: 'x' },
});
const TRUE = JSON.stringify({ ok: true, result: true });
const ME = JSON.stringify({ ok: true, result: BOT_USER });
const transport = async (request) => {
  const method = request.url.slice(request.url.lastIndexOf('/') + 1);
  return { status: 200, body: method === 'sendMessage' ? SENT : method === 'getMe' ? ME : TRUE };
};

/** Resolves once `done()` reaches `expected` (or, with `expected` undefined, once it stops
 * changing for 300 ms); rejects after SETTLE_TIMEOUT_MS. */
async function settle(done, expected) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const n = done();
    if (expected !== undefined && n >= expected) return n;
    if (n !== last) {
      last = n;
      stableSince = Date.now();
    } else if (expected === undefined && Date.now() - stableSince >= 300) return n;
    if (Date.now() > deadline) throw new Error(`handlers did not settle within ${SETTLE_TIMEOUT_MS} ms (${n} of ${expected})`);
    await new Promise((r) => (expected === undefined ? setTimeout(r, 10) : setImmediate(r)));
  }
}

// ---- grammY ----
async function runGrammy(handlers = true) {
  let done = 0;
  const bot = new GrammyBot(TOKEN, { botInfo: { ...BOT_USER, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: true } });
  bot.api.config.use(() => ({ ok: true, result: true }));
  if (handlers) registerGrammy(bot, () => done++);
  bot.catch((e) => {
    throw e.error;
  });
  const t0 = performance.now();
  for (const line of lines) await bot.handleUpdate(JSON.parse(line));
  const ms = performance.now() - t0;
  return { ms, handled: done };
}

function registerGrammy(bot, handled) {
  bot.command('start', async (ctx) => {
    await ctx.reply('Hello!');
    handled();
  });
  bot.on('callback_query', async (ctx) => {
    await ctx.answerCallbackQuery({ text: 'ok' });
    handled();
  });
  bot.on(['message:text', 'channel_post:text'], async (ctx) => {
    await ctx.reply(ctx.msg.text);
    handled();
  });
}

// ---- botwire ----
const FLOOD_OFF = { max: 1_000_000_000, windowMs: 1000 };
async function makeBotwire(entry, mode) {
  const state = { done: 0, errors: 0 };
  const bot = new Bot({
    platform: 'telegram',
    token: TOKEN,
    transport,
    apiRoot: 'http://127.0.0.1:9',
    ...(entry === 'request' ? { intake: 'webhook' } : { intake: 'none', botInfo: BOT_USER }),
    dispatch: { maxQueued: 1_000_000 },
    flood: { perChat: FLOOD_OFF, perGroup: FLOOD_OFF, global: FLOOD_OFF, maxQueuedPerChat: 1_000_000, maxQueuedTotal: 1_000_000 },
  });
  bot.catch(() => {
    state.errors++;
  });
  if (mode === 'handlers') {
    bot.command('start', async (ctx) => {
      await ctx.reply('Hello!');
      state.done++;
    });
    bot.on('callback_query', async (ctx) => {
      await ctx.answer('ok');
      state.done++;
    });
    bot.on('message:text', async (ctx) => {
      await ctx.reply(ctx.text);
      state.done++;
    });
  }
  await bot.start();
  return { bot, state };
}

// Handlers run per contender, from its warm-up run.
const botwireExpected = new Map();
async function runBotwire(entry, mode = 'handlers') {
  const key = `${entry}/${mode}`;
  const { bot, state } = await makeBotwire(entry, mode);
  let refused = 0;
  const t0 = performance.now();
  if (entry === 'request') {
    const handler = bot.webhookHandler();
    for (const line of lines) {
      const response = await handler(
        new Request('http://127.0.0.1/webhook', { method: 'POST', body: line, headers: { 'content-type': 'application/json' } }),
      );
      if (response.status !== 200) refused++;
    }
  } else {
    for (const line of lines) {
      try {
        await bot.handleUpdate(line);
      } catch {
        refused++;
      }
    }
  }
  // Without handlers nothing is left to settle once the last call has returned.
  const handled = mode === 'handlers' ? await settle(() => state.done, botwireExpected.get(key)) : state.done;
  const ms = performance.now() - t0;
  if (!botwireExpected.has(key)) botwireExpected.set(key, handled);
  await bot.stop();
  return { ms, handled, refused, errors: state.errors };
}

const contenders = [
  { key: 'grammy', label: 'grammY: JSON.parse + bot.handleUpdate', run: runGrammy },
  { key: 'botwire_handle_update', label: 'botwire: bot.handleUpdate (JSON text)', run: () => runBotwire('update') },
  { key: 'botwire_webhook', label: 'botwire: bot.webhookHandler() with a Request per update', run: () => runBotwire('request') },
  // The floors, for information: the same calls with no handler registered (grammY: JSON.parse
  // and its middleware; botwire: the engine alone, reading each update, checking it for
  // duplicates, routing it and acknowledging it, with no JavaScript handler to call).
  { key: 'grammy_no_handlers', label: 'grammY, no handler registered', run: () => runGrammy(false) },
  { key: 'botwire_no_handlers', label: 'botwire: bot.handleUpdate, no handler registered', run: () => runBotwire('update', 'none') },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (childKey !== undefined) {
  const contender = contenders.find((c) => c.key === childKey);
  if (!contender) throw new Error(`no contender ${childKey}`);
  let warm;
  for (let i = 0; i < WARMUP_RUNS; i++) {
    const run = await contender.run();
    if (warm !== undefined && run.handled !== warm.handled) throw new Error(`${childKey}: handled ${run.handled}, then ${warm.handled}`);
    warm = run;
  }
  const timed = await contender.run();
  if (timed.handled !== warm.handled) throw new Error(`${childKey}: handled ${timed.handled}, warm-up ${warm.handled}`);
  console.log(JSON.stringify({ ms: timed.ms, handled: timed.handled, refused: timed.refused ?? 0, errors: timed.errors ?? 0 }));
  process.exit(0);
}

/** The warm-up runs and one timed run of contender `key` in a fresh process. */
function runChild(key) {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), corpusDir, outPath, '--child', key], {
    encoding: 'utf8',
    timeout: 10 * SETTLE_TIMEOUT_MS,
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`${key}: the run failed (${child.status ?? child.signal}): ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

const results = {};
for (const c of contenders) results[c.key] = { label: c.label, runs_ms: [] };

for (let round = 0; round < RUNS; round++) {
  for (const c of contenders) {
    const r = runChild(c.key);
    const entry = results[c.key];
    if (round === 0) Object.assign(entry, { handled: r.handled, refused: r.refused, errors: r.errors });
    else if (r.handled !== entry.handled) throw new Error(`${c.key}: handled ${r.handled}, then ${entry.handled}`);
    entry.runs_ms.push(r.ms);
  }
}

for (const c of contenders) {
  const r = results[c.key];
  r.median_ms = median(r.runs_ms);
  r.updates_per_s = lines.length / (r.median_ms / 1000);
}
const grammyRate = results.grammy.updates_per_s;
for (const c of contenders) results[c.key].ratio_vs_grammy = results[c.key].updates_per_s / grammyRate;

const grammyVersion = JSON.parse(readFileSync(path.join(here, 'node_modules', 'grammy', 'package.json'), 'utf8')).version;
const throughput = {
  updates: lines.length,
  runs: RUNS,
  warmup_runs: WARMUP_RUNS,
  node: process.version,
  grammy: grammyVersion,
  contenders: results,
};

for (const c of contenders) {
  const r = results[c.key];
  console.log(
    `${r.label.padEnd(58)} ${Math.round(r.updates_per_s).toLocaleString('en-US').padStart(9)} updates/s` +
      `  ${r.ratio_vs_grammy.toFixed(2)}x grammY  (handled ${r.handled}, median of ${RUNS})`,
  );
}

let out = {};
if (existsSync(outPath)) {
  try {
    out = JSON.parse(readFileSync(outPath, 'utf8'));
  } catch {
    out = {};
  }
}
out.throughput = throughput;
mkdirSync(path.dirname(outPath), { recursive: true });
writeFileSync(outPath, JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${path.relative(process.cwd(), outPath) || outPath}`);
