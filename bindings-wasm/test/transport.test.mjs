// `options.transport`: the bot's HTTP requests go to a JavaScript function instead of fetch
// (requests as the runtime builds them, answers read as from a server), with timeouts, aborts
// and failures reported as typed errors.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Bot, InvalidOptionsError, NetworkError, ForbiddenError } from '../index.js';
import { watchRejections } from './helpers.mjs';

const rejections = watchRejections();
after(() => {
  rejections.stop();
  assert.deepEqual(rejections.seen, [], 'no unhandled promise rejection');
});

const BOT_INFO = { id: 1, is_bot: true, first_name: 'B', username: 'b_bot' };
const SENT = { message_id: 5, date: 1, chat: { id: 42, type: 'private' }, text: 'x' };
const decoder = new TextDecoder();

function update(id, text) {
  return {
    update_id: id,
    message: { message_id: id, date: 1, chat: { id: 42, type: 'private' }, from: { id: 42, is_bot: false, first_name: 'Ann' }, text },
  };
}

test('requests go to the transport and its answers come back', async () => {
  const seen = [];
  const bot = new Bot({
    platform: 'telegram',
    token: '7:T',
    apiRoot: 'http://api.invalid',
    intake: 'none',
    botInfo: BOT_INFO,
    transport: async (request) => {
      seen.push({ ...request, body: decoder.decode(request.body) });
      if (request.url.endsWith('/sendMessage')) return { status: 200, body: JSON.stringify({ ok: true, result: SENT }) };
      // A fetch Response works as well.
      return new Response(JSON.stringify({ ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' }), { status: 403 });
    },
  });
  const replies = [];
  bot.on('message', async (ctx) => {
    replies.push(await ctx.reply(`echo ${ctx.text}`));
  });
  await bot.handleUpdate(update(10, 'hi'));
  assert.equal(seen.length, 1);
  assert.equal(seen[0].method, 'POST');
  assert.equal(seen[0].url, 'http://api.invalid/bot7:T/sendMessage');
  assert.equal(seen[0].headers['Content-Type'], 'application/json');
  assert.equal(JSON.parse(seen[0].body).text, 'echo hi');
  assert.equal(typeof seen[0].timeoutMs, 'number');
  assert.deepEqual(replies, [SENT]);
  await assert.rejects(bot.api.leaveChat({ chat_id: 42 }), ForbiddenError);
  await bot.stop();
});

test('a transport that throws, rejects or never answers fails the call as a network error', async () => {
  let mode = 'throw';
  const bot = new Bot({
    platform: 'telegram',
    token: '7:T',
    intake: 'none',
    botInfo: BOT_INFO,
    actionAttempts: 1,
    callTimeoutMs: 100,
    transport: (request) => {
      if (mode === 'throw') throw new Error('no route');
      if (mode === 'reject') return Promise.reject(new Error('refused'));
      if (mode === 'bad') return Promise.resolve({ body: 'no status' });
      // Never answers; the bot gives up after callTimeoutMs and aborts the signal.
      return new Promise((resolve, reject) => {
        request.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    },
  });
  for (mode of ['throw', 'reject', 'bad', 'hang']) {
    const started = Date.now();
    await assert.rejects(bot.api.getChat({ chat_id: 1 }), NetworkError, mode);
    assert.ok(Date.now() - started < 5000, mode);
  }
  await bot.stop();
});

test('a transport must be a function', () => {
  assert.throws(() => new Bot({ platform: 'telegram', token: '7:T', transport: 'fetch' }), InvalidOptionsError);
});
