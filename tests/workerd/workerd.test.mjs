// The npm package in Cloudflare's runtime: workerd (the `workerd` package from npm, the
// runtime Wrangler and Cloudflare run) serves a webhook Worker built the way the package's
// README shows (`export default { fetch: bot.webhookHandler() }`, the bot made at the module's
// top level), on loopback. The Worker loads the package through its `workerd` export
// condition (the entry that imports the WebAssembly module as a compiled module), and its bot
// replies through the loopback Telegram simulator (botwire-sim). Checked: the entry the
// condition names, the secret token, that replies go out after the response (through the
// request's `waitUntil`), and that one bot serves several requests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { control, copyPackage, freePort, serveWebhook, startSim, TOKEN, transcript } from '../../bindings-wasm/test/helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const workerdBin = path.join(here, 'node_modules', '.bin', 'workerd');

function workerScript(simUrl, entry) {
  return `import { Bot, version } from './botwire/${entry}';

const bot = new Bot({
  platform: 'telegram',
  token: ${JSON.stringify(TOKEN)},
  apiRoot: ${JSON.stringify(simUrl)},
  intake: 'webhook',
  webhook: { secretToken: 's3cret' },
  botInfo: { id: 1, is_bot: true, first_name: 'Worker', username: 'worker_bot' },
});
bot.on('message:text', async (ctx) => {
  // Later than the response: the reply must still go out.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await ctx.reply('worker: ' + ctx.text);
});
bot.catch((error) => console.log('bot.catch:', error && error.message));
const hook = bot.webhookHandler();

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/version') return new Response(version);
    return hook(request, env, ctx);
  },
};
`;
}

function config(modules, port) {
  const list = [
    '    (name = "main.js", esModule = embed "main.js"),',
    ...modules.map((m) =>
      m.endsWith('.wasm')
        ? `    (name = "botwire/${m}", wasm = embed "botwire/${m}"),`
        : `    (name = "botwire/${m}", esModule = embed "botwire/${m}"),`,
    ),
  ];
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .bot),
    (name = "net", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const bot :Workerd.Worker = (
  modules = [
${list.join('\n')}
  ],
  compatibilityDate = "2025-09-01",
  globalOutbound = "net",
);
`;
}

test('a webhook Worker on the package, in workerd, replies through the simulator', { timeout: 120000 }, async () => {
  const sim = await startSim();
  const dir = await mkdtemp(path.join(tmpdir(), 'botwire-workerd-'));
  let server;
  try {
    await mkdir(path.join(dir, 'botwire'));
    const { manifest, modules } = await copyPackage(path.join(dir, 'botwire'));
    // The entry Wrangler picks (it resolves with the `workerd` condition first).
    const entry = manifest.exports['.'].workerd;
    assert.equal(entry, './worker.js');
    assert.ok(modules.includes('worker.js') && modules.includes('pkg/botwire_wasm_bg.wasm'), modules.join(', '));
    await writeFile(path.join(dir, 'main.js'), workerScript(sim.url, entry.slice(2)));
    const port = await freePort();
    await writeFile(path.join(dir, 'config.capnp'), config(modules, port));

    server = await serveWebhook(workerdBin, ['serve', 'config.capnp', '--verbose'], { cwd: dir, port, name: 'workerd' });
    const { deliver, output } = server;
    assert.equal(server.version, manifest.version);

    // The simulator keeps each update for a poller that never comes; it is delivered here.
    await control(sim, '/control/message', { user_id: 42, text: 'first' });
    await control(sim, '/control/message', { user_id: 43, text: 'second' });
    const updates = await control(sim, '/control/updates');
    assert.equal(updates.length, 2);

    assert.equal((await deliver(updates[0], 'wrong')).status, 401, output());
    const first = await deliver(updates[0]);
    assert.equal(first.status, 200, output());
    // The response came before the handler's reply (which waits 200 ms first).
    const early = await control(sim, '/control/transcript?since=0&min=0&wait_ms=0');
    assert.equal(early.length, 0, JSON.stringify(early));
    let t = await transcript(sim, { min: 1, waitMs: 10000 });
    assert.equal(t[0].text, 'worker: first', output());

    // The same bot, in the next request.
    assert.equal((await deliver(updates[1])).status, 200, output());
    t = await transcript(sim, { min: 2, waitMs: 10000 });
    assert.deepEqual(
      t.map((e) => e.text),
      ['worker: first', 'worker: second'],
      output(),
    );
    assert.doesNotMatch(output(), /bot\.catch:|Uncaught|uncaught/, output());
  } finally {
    await server?.stop();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
