// A TrueConf echo bot over WebSocket (in Node 20 from the `ws` package) against the loopback
// TrueConf simulator.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Bot, UnauthorizedError, ApiError, BotwireError } from '../index.js';
import { control, startSim, until, watchRejections } from './helpers.mjs';

const rejections = watchRejections();
after(() => {
  rejections.stop();
  assert.deepEqual(rejections.seen, [], 'no unhandled promise rejection');
});

const options = (sim, extra = {}) => ({
  platform: 'trueconf',
  server: '127.0.0.1',
  port: sim.port,
  https: false,
  username: 'helpdesk_bot',
  password: 's3cret',
  ...extra,
});

test('echo bot over WebSocket, raw calls, stop', async () => {
  const sim = await startSim(['--platform', 'trueconf']);
  const bot = new Bot(options(sim));
  const errors = [];
  bot.catch((e) => errors.push(e));
  try {
    bot.command('start', (ctx) => ctx.reply('Hello from TrueConf'));
    bot.on('message', (ctx) => ctx.reply(`echo: ${ctx.text}`));
    await bot.start();
    assert.match(bot.botInfo.userId, /^helpdesk_bot@/);

    await control(sim, '/_sim/trueconf/message', { user: 'alice', text: '/start' });
    await control(sim, '/_sim/trueconf/message', { user: 'alice', text: 'hello' });
    const t = await control(sim, '/_sim/trueconf/transcript?min=2&wait_ms=10000');
    assert.deepEqual(
      t.filter((e) => e.action === 'sent').map((e) => e.text),
      ['Hello from TrueConf', 'echo: hello'],
    );

    const chats = await bot.api.getChats({ count: 10, page: 1 });
    assert.ok(Array.isArray(chats) && chats.length === 1, JSON.stringify(chats));
    assert.equal(chats[0].title, 'Alice Meyer');
    await assert.rejects(bot.api.getChatByID({ chatId: 'no-such-chat' }), (e) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.kind, 'trueconf');
      assert.equal(typeof e.code, 'number');
      return true;
    });
    assert.deepEqual(errors, []);
  } finally {
    await bot.stop();
    await sim.stop();
  }
});

test('a wrong password is a typed error at start', async () => {
  const sim = await startSim(['--platform', 'trueconf']);
  const bot = new Bot(options(sim, { password: 'wrong' }));
  bot.catch(() => {});
  try {
    await assert.rejects(bot.start(), (e) => {
      assert.ok(e instanceof BotwireError);
      assert.ok(e instanceof UnauthorizedError, `${e.name} ${e.kind}`);
      assert.equal(e.status, 401);
      return true;
    });
  } finally {
    await bot.stop();
    await sim.stop();
  }
});

test('files: replyWithFile uploads over HTTP and sends the file; the server has the same bytes', async () => {
  const sim = await startSim(['--platform', 'trueconf']);
  const bot = new Bot(options(sim));
  const errors = [];
  bot.catch((e) => errors.push(e));
  const bytes = new Uint8Array(3000).map((_, i) => (i * 7) % 256);
  const results = [];
  try {
    bot.on('message', async (ctx) => {
      results.push(await ctx.replyWithFile({ name: 'report.bin', bytes, mime: 'application/octet-stream' }, { caption: 'the report' }));
    });
    await bot.start();
    await control(sim, '/_sim/trueconf/message', { user: 'alice', text: 'send the report' });
    const t = await control(sim, '/_sim/trueconf/transcript?min=1&wait_ms=10000');
    const sent = t.filter((e) => e.action === 'file');
    assert.equal(sent.length, 1, JSON.stringify(t));
    assert.equal(sent[0].text, 'the report');
    assert.equal(sent[0].file.name, 'report.bin');
    assert.equal(sent[0].file.size, bytes.length);
    const stored = await control(sim, `/_sim/trueconf/file?id=${encodeURIComponent(sent[0].file.file_id)}`);
    assert.equal(stored.hex, Buffer.from(bytes).toString('hex'));
    await until(() => results.length === 1, { what: 'the upload result' });
    assert.deepEqual(errors, []);
  } finally {
    await bot.stop();
    await sim.stop();
  }
});
