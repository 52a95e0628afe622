// The web demo in a real browser: serve.mjs serves the page and the npm package, headless
// Chromium (the system's, driven by playwright-core) loads it, chats with the example bot on
// the in-page Telegram simulator (the package's simulator build, bindings-wasm/pkg-sim/) and
// checks every reply; then switches the page to its token mode against a Bot API server on
// loopback (botwire-sim, as a local telegram-bot-api would be) and chats through that. A
// screenshot goes to target/web-demo.png.
//
//   node --test test/browser.test.mjs          (from web-demo/, after `make npm-build`)
//
// CHROMIUM overrides the browser's path (default /usr/bin/chromium); BOTWIRE_SIM names the
// botwire-sim binary (default: Cargo's debug build).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { control, startSim, TOKEN, transcript } from '../../bindings-wasm/test/helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const screenshot = path.join(repo, 'target', 'web-demo.png');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

/** Promise `p`, or a rejection naming `what` after `ms`. */
function within(ms, what, p) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Starts serve.mjs on a free port; resolves with `{ url, child }`. */
function serve() {
  const child = spawn(process.execPath, [path.join(repo, 'web-demo', 'serve.mjs'), '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk;
  });
  const started = new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/(http:\/\/127\.0\.0\.1:\d+\/web-demo\/)/);
      if (match) resolve({ url: match[1], child });
    });
    child.once('exit', (code) => reject(new Error(`serve.mjs exited (${code}): ${stderr}`)));
    child.once('error', reject);
  });
  return within(10_000, 'serve.mjs start', started).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
}

/** Stops the server (SIGTERM, then SIGKILL), bounded. */
async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  try {
    await within(3000, 'serve.mjs stop', exited);
  } catch {
    child.kill('SIGKILL');
  }
}

test('the web demo chats with the example bot in headless Chromium', { timeout: 120_000 }, async (t) => {
  const { url, child } = await serve();
  t.after(() => stopServer(child));

  // The server itself: MIME types the browser insists on, and nothing outside what it serves.
  for (const build of ['pkg', 'pkg-sim']) {
    const wasm = await fetch(new URL(`../bindings-wasm/${build}/botwire_wasm_bg.wasm`, url), {
      method: 'HEAD',
    });
    assert.equal(wasm.status, 200, `the package was built into ${build}/ (make npm-build)`);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  }
  const js = await fetch(new URL('demo.js', url), { method: 'HEAD' });
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  assert.equal((await fetch(new URL('../Cargo.toml', url))).status, 404);
  assert.equal((await fetch(new URL('../bindings-wasm/src/lib.rs', url))).status, 404);

  const profile = await mkdtemp(path.join(os.tmpdir(), 'botwire-chromium-'));
  t.after(() => rm(profile, { recursive: true, force: true }));
  const context = await within(
    30_000,
    'chromium launch',
    chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: { width: 900, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: 30_000,
    }),
  );
  t.after(() => within(10_000, 'chromium close', context.close()).catch(() => {}));

  const problems = [];
  // The page may only talk to the local server: in simulator mode the bot needs no network.
  await context.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => {
    problems.push(`request outside the demo server: ${route.request().url()}`);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  const requested = [];
  page.on('request', (req) => requested.push(new URL(req.url()).pathname));
  page.on('requestfailed', (req) =>
    problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`),
  );

  await page.goto(url, { waitUntil: 'load' });
  // Compiling the module can take a while on a loaded machine.
  const state = await page
    .waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 60_000 })
    .then(() => page.getAttribute('body', 'data-state'))
    .catch(() => 'timeout');
  const statusText = await page.textContent('#status');
  assert.equal(state, 'ready', `the bot did not start: ${statusText} ${problems.join('; ')}`);
  assert.match(statusText, /@botwire_bot is running on the simulated/);
  // The import map swapped the shipped module (no simulators) for the simulator build.
  assert.ok(requested.includes('/bindings-wasm/pkg-sim/botwire_wasm.js'), requested.join(' '));
  assert.ok(requested.includes('/bindings-wasm/pkg-sim/botwire_wasm_bg.wasm'), requested.join(' '));
  assert.deepEqual(
    requested.filter((p) => p.startsWith('/bindings-wasm/pkg/')),
    [],
    'nothing of the shipped build was loaded',
  );

  const botTexts = () => page.locator('#messages .bubble.bot .text').allTextContents();
  const userTexts = () => page.locator('#messages .bubble.user .text').allTextContents();
  /** Waits until the bot has sent `count` messages; returns their texts. */
  const waitForBot = async (count) => {
    await page.waitForFunction(
      (n) => document.querySelectorAll('#messages .bubble.bot').length >= n,
      count,
    );
    return botTexts();
  };
  const say = async (text) => {
    await page.fill('#text', text);
    await page.click('#send');
  };

  await say('/start');
  assert.match((await waitForBot(1))[0], /^Hi! I am an example bot running on botwire/);

  await say('hello');
  assert.equal((await waitForBot(2))[1], 'echo: hello');

  await say('/count');
  assert.equal((await waitForBot(3))[2], 'count: 1');
  await say('/count');
  assert.equal((await waitForBot(4))[3], 'count: 2');

  await say('/menu');
  assert.equal((await waitForBot(5))[4], 'What would you like to drink?');
  const menu = page.locator('#messages .bubble.bot').nth(4);
  const keys = menu.locator('.keyboard button.key');
  assert.deepEqual(await keys.allTextContents(), ['Coffee', 'Tea', 'Water']);

  assert.deepEqual(await userTexts(), ['/start', 'hello', '/count', '/count', '/menu']);
  assert.equal(await page.inputValue('#text'), '', 'the input is cleared after sending');

  // The screenshot shows the keyboard before it is pressed.
  await mkdir(path.dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });

  await keys.filter({ hasText: 'Tea' }).click();
  await page.waitForSelector('#messages .notice.toast');
  assert.equal(await page.textContent('#messages .notice.toast'), 'One tea coming up');
  await page.waitForFunction(() =>
    [...document.querySelectorAll('#messages .bubble.bot.edited .text')].some(
      (el) => el.textContent === 'You ordered tea.',
    ),
  );
  assert.equal(await menu.locator('.text').textContent(), 'You ordered tea.');
  assert.equal(await menu.locator('.keyboard').count(), 0, 'the edit removed the keyboard');
  assert.equal(await page.locator('#messages .notice.press').textContent(), 'You pressed “Tea”');
  assert.equal((await botTexts()).length, 5, 'the button edited the message, sent none');

  // The conversation ends on /reset and starts again from 1.
  await say('/reset');
  assert.equal((await waitForBot(6))[5], 'Counter reset.');
  await say('/count');
  assert.equal((await waitForBot(7))[6], 'count: 1');

  const png = await readFile(screenshot);
  assert.ok(png.length > 1000, `the screenshot has ${png.length} bytes`);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

  // Token mode, against a Bot API server on loopback: the page long-polls it from its own
  // origin (the server allows that, as api.telegram.org does) and replies through it.
  // (Without its rate limits: a 429 the bot retries correctly still logs a console error.)
  const sim = await startSim(['--no-rate-limits']);
  t.after(() => sim.stop());
  await page.check('input[name="mode"][value="token"]');
  await page.fill('#token', TOKEN);
  await page.fill('#api-root', sim.url);
  await page.click('#connect');
  await page.waitForFunction(
    () =>
      document.body.dataset.state !== 'starting' &&
      /running against|did not start/.test(document.querySelector('#status').textContent),
  );
  const tokenStatus = await page.textContent('#status');
  assert.match(tokenStatus, new RegExp(`is running against 127\\.0\\.0\\.1:${sim.port}`), problems.join('; '));
  assert.deepEqual(await botTexts(), [], 'the simulator chat was cleared');
  await control(sim, '/control/message', { user_id: 42, text: '/start' });
  await control(sim, '/control/message', { user_id: 42, text: 'from a phone' });
  const sent = await transcript(sim, { min: 2 });
  assert.match(sent[0].text, /^Hi! I am an example bot running on botwire/);
  assert.equal(sent[1].text, 'echo: from a phone');
  assert.match((await waitForBot(2))[0], /^Hi! I am an example bot running on botwire/);
  assert.equal((await botTexts())[1], 'echo: from a phone');
  assert.deepEqual(await userTexts(), ['/start', 'from a phone']);

  assert.deepEqual(problems, [], 'no page errors, console errors or failed requests');
});
