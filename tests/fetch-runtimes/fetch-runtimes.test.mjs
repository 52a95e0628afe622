// The npm package in two more fetch-handler runtimes, Deno and Bun (both from npm, pinned in
// package.json): each serves a webhook built the way the package's README shows
// (`bot.webhookHandler()` as the server's fetch handler) on loopback, from a copy of what the
// package ships, and its bot replies through the loopback Telegram simulator (botwire-sim).
// Checked: the module loads, the secret token, replies, several requests on one bot, a
// handler that throws (reported, the next update still handled), and no uncaught error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { control, copyPackage, freePort, serveWebhook, startSim, TOKEN, transcript, until } from '../../bindings-wasm/test/helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = (name) => path.join(here, 'node_modules', '.bin', name);

/** The server, the same program for both runtimes. */
function serverScript(runtime, simUrl, port) {
  return `import { Bot, version } from './botwire/index.js';

const bot = new Bot({
  platform: 'telegram',
  token: ${JSON.stringify(TOKEN)},
  apiRoot: ${JSON.stringify(simUrl)},
  intake: 'webhook',
  webhook: { secretToken: 's3cret' },
  botInfo: { id: 1, is_bot: true, first_name: 'Edge', username: 'edge_bot' },
});
bot.command('fail', () => {
  throw new Error('handler failed on purpose');
});
bot.on('message:text', (ctx) => ctx.reply(${JSON.stringify(runtime)} + ': ' + ctx.text));
bot.catch((error) => console.log('bot.catch:', error.name, error.message));
const hook = bot.webhookHandler();
const fetchHandler = (request) =>
  new URL(request.url).pathname === '/version' ? new Response(version) : hook(request);

if (typeof Deno !== 'undefined') {
  Deno.serve({ hostname: '127.0.0.1', port: ${port}, onListen() {} }, fetchHandler);
} else {
  Bun.serve({ hostname: '127.0.0.1', port: ${port}, fetch: fetchHandler });
}
`;
}

const runtimes = {
  deno: (dir) => [
    bin('deno'),
    ['run', '--no-prompt', '--allow-net=127.0.0.1', `--allow-read=${dir}`, 'server.js'],
    { DENO_DIR: path.join(dir, '.deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
  ],
  bun: () => [bin('bun'), ['run', 'server.js'], { BUN_INSTALL_CACHE_DIR: '', NO_COLOR: '1' }],
};

for (const [runtime, command] of Object.entries(runtimes)) {
  test(`a webhook server on the package, in ${runtime}, replies through the simulator`, { timeout: 120000 }, async () => {
    const sim = await startSim();
    const dir = await mkdtemp(path.join(tmpdir(), `botwire-${runtime}-`));
    let server;
    try {
      await mkdir(path.join(dir, 'botwire'));
      const { manifest } = await copyPackage(path.join(dir, 'botwire'));
      const port = await freePort();
      await writeFile(path.join(dir, 'server.js'), serverScript(runtime, sim.url, port));
      const [file, args, env] = command(dir);
      server = await serveWebhook(file, args, { cwd: dir, env, port, name: runtime });
      const { deliver, output } = server;
      assert.equal(server.version, manifest.version);

      // The simulator keeps each update for a poller that never comes; it is delivered here.
      for (const [user, text] of [[42, 'first'], [43, '/fail'], [42, 'third']]) {
        await control(sim, '/control/message', { user_id: user, text });
      }
      const updates = await control(sim, '/control/updates');
      assert.equal(updates.length, 3);

      assert.equal((await deliver(updates[0], 'wrong')).status, 401, output());
      for (const update of updates) assert.equal((await deliver(update)).status, 200, output());
      const t = await transcript(sim, { min: 2, waitMs: 10000 });
      assert.deepEqual(
        t.map((e) => [e.chat_id, e.text]),
        [
          [42, `${runtime}: first`],
          [42, `${runtime}: third`],
        ],
        output(),
      );
      await until(() => output().includes('bot.catch: HandlerError handler failed: handler failed on purpose'), {
        timeoutMs: 10000,
        what: `the handler's error in ${runtime}'s output (${output()})`,
      });
      assert.doesNotMatch(output(), /Uncaught|uncaught|Unhandled|unhandled/, output());
    } finally {
      await server?.stop();
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
