// The package against the loopback Telegram simulator (botwire-sim): an echo bot with
// commands, buttons, inline queries and conversations, failing and hanging handlers, wrong
// tokens, network failures, raw calls, stop, and webhooks (fetch handler and Node http).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  Bot,
  ApiError,
  DeadLetterError,
  ForbiddenError,
  HandlerError,
  HandlerTimeoutError,
  InvalidCallError,
  InvalidOptionsError,
  NetworkError,
  UnauthorizedError,
  BotwireError,
} from '../index.js';
import { TOKEN, control, startSim, transcript, until, watchRejections } from './helpers.mjs';

const rejections = watchRejections();
after(() => {
  rejections.stop();
  assert.deepEqual(rejections.seen, [], 'no unhandled promise rejection');
});

/** A simulator and a bot on it, both stopped at the end of `body`. */
async function withBot(options, body, simArgs = ['--no-rate-limits']) {
  const sim = await startSim(simArgs);
  const bot = new Bot({
    platform: 'telegram',
    token: TOKEN,
    apiRoot: sim.url,
    flood: { perChat: { max: 100, windowMs: 1000 } },
    ...options(sim),
  });
  const errors = [];
  bot.catch((e) => errors.push(e));
  try {
    await body({ bot, sim, errors });
  } finally {
    await Promise.race([bot.stop(), new Promise((r) => setTimeout(r, 5000))]);
    await sim.stop();
  }
}

const said = (entries) => entries.map((e) => e.text);

test('echo bot: commands, buttons, inline queries, conversations', async () => {
  await withBot(
    () => ({}),
    async ({ bot, sim, errors }) => {
      bot.command('start', (ctx) =>
        ctx.reply('Hello!', { keyboard: [[{ text: 'Red', data: 'red' }, { text: 'Green', data: 'green' }]] }),
      );
      bot.command('count', (ctx) => {
        const n = (ctx.conversation.get() ?? 0) + 1;
        ctx.conversation.set(n);
        return ctx.reply(`count: ${n}`);
      });
      bot.callbackQuery(/^(red|green)$/, async (ctx) => {
        await ctx.answer(`picked ${ctx.match[1]}`);
        await ctx.editText(`You picked ${ctx.match[1]}`);
      });
      bot.inlineQuery((ctx) =>
        ctx.answerInline([
          { type: 'article', id: '1', title: ctx.text, input_message_content: { message_text: ctx.text } },
        ]),
      );
      bot.on('message:text', (ctx) => ctx.reply(ctx.text, { quote: true }));
      await bot.start();
      assert.equal(bot.botInfo.username, 'botwire_bot');

      await control(sim, '/control/message', { user_id: 42, text: '/start' });
      let t = await transcript(sim, { min: 1 });
      assert.equal(t[0].text, 'Hello!');
      assert.deepEqual(t[0].reply_markup.inline_keyboard[0][1], { text: 'Green', callback_data: 'green' });

      await control(sim, '/control/button', { user_id: 42, message_id: t[0].message_id, data: 'green' });
      t = await transcript(sim, { min: 3 });
      assert.deepEqual(
        t.slice(1, 3).map((e) => [e.action, e.text]),
        [
          ['answered', 'picked green'],
          ['edited', 'You picked green'],
        ],
      );

      await control(sim, '/control/message', { user_id: 42, text: '/count' });
      await control(sim, '/control/message', { user_id: 42, text: '/count@botwire_bot' });
      await control(sim, '/control/message', { user_id: 42, text: 'hi there' });
      t = await transcript(sim, { min: 6 });
      assert.deepEqual(said(t.slice(3, 6)), ['count: 1', 'count: 2', 'hi there']);
      assert.equal(t[5].payload.reply_to_message.text, 'hi there');

      await control(sim, '/control/inline_query', { user_id: 42, query: 'cats' });
      t = await transcript(sim, { min: 7 });
      assert.equal(t[6].method, 'answerInlineQuery');
      assert.deepEqual(errors, []);
    },
  );
});

test('conversations end after their idle timeout and call onIdle', async () => {
  const sim = await startSim(['--no-rate-limits']);
  const bot = new Bot({
    platform: 'telegram',
    token: TOKEN,
    apiRoot: sim.url,
    conversation: {
      idleTimeoutMs: 300,
      onIdle: ({ chatKey, state }) => bot.send(chatKey, `Bye after ${state}!`),
    },
  });
  try {
    bot.command('count', (ctx) => {
      const n = (ctx.conversation.get() ?? 0) + 1;
      ctx.conversation.set(n);
      return ctx.reply(`count: ${n}`);
    });
    await bot.start();
    await control(sim, '/control/message', { user_id: 7, text: '/count' });
    const t = await transcript(sim, { min: 2 });
    assert.deepEqual(said(t), ['count: 1', 'Bye after 1!']);
  } finally {
    await bot.stop();
    await sim.stop();
  }
});

test('a handler that throws is retried, then dead-lettered; intake goes on', async () => {
  await withBot(
    () => ({ dispatch: { maxAttempts: 2, retryDelayMs: 50 } }),
    async ({ bot, sim, errors }) => {
      let calls = 0;
      bot.hears('ok', (ctx) => ctx.reply('fine'));
      bot.on('message', () => {
        calls += 1;
        throw new Error('boom');
      });
      await bot.start();
      await control(sim, '/control/message', { user_id: 42, text: 'explode' });
      await until(() => errors.some((e) => e instanceof DeadLetterError), { what: 'a dead letter' });
      assert.equal(calls, 2);
      const handlerErrors = errors.filter((e) => e instanceof HandlerError);
      assert.equal(handlerErrors.length, 2);
      assert.equal(handlerErrors[0].error.message, 'boom');
      assert.deepEqual(handlerErrors.map((e) => e.ctx.attempt), [1, 2]);
      const dead = errors.find((e) => e instanceof DeadLetterError);
      assert.equal(dead.attempts, 2);
      assert.equal(dead.event.text, 'explode');
      assert.ok(dead instanceof BotwireError && dead.kind === 'dead_letter');

      await control(sim, '/control/message', { user_id: 42, text: 'ok' });
      const t = await transcript(sim, { min: 1 });
      assert.equal(t[0].text, 'fine');
    },
  );
});

test('a handler that never settles times out', async () => {
  await withBot(
    () => ({ dispatch: { maxAttempts: 1, handlerTimeoutMs: 200 } }),
    async ({ bot, sim, errors }) => {
      bot.on('message', () => new Promise(() => {}));
      await bot.start();
      await control(sim, '/control/message', { user_id: 42, text: 'hang' });
      await until(() => errors.some((e) => e instanceof DeadLetterError), { what: 'a dead letter' });
      const timeout = errors.find((e) => e instanceof HandlerTimeoutError);
      assert.ok(timeout, 'a HandlerTimeoutError');
      assert.equal(timeout.timeoutMs, 200);
    },
  );
});

test('a wrong token is a typed error at start', async () => {
  await withBot(
    () => ({ token: '42:WRONG' }),
    async ({ bot }) => {
      await assert.rejects(bot.start(), (e) => {
        assert.ok(e instanceof UnauthorizedError);
        assert.equal(e.kind, 'unauthorized');
        assert.equal(e.code, 401);
        assert.equal(e.method, 'getMe');
        return true;
      });
    },
  );
});

test('raw calls: results, typed API errors, invalid calls', async () => {
  await withBot(
    () => ({ intake: 'none', actionAttempts: 1 }),
    async ({ bot, sim, errors }) => {
      // Known users who never wrote to the bot: it cannot start a conversation (403).
      await control(sim, '/control/user', { id: 999, first_name: 'Quiet' });
      await control(sim, '/control/user', { id: 998, first_name: 'Silent' });
      const me = await bot.api.getMe();
      assert.equal(me.username, 'botwire_bot');
      await assert.rejects(bot.api.sendMessage({ chat_id: 999, text: 'hi' }), (e) => {
        assert.ok(e instanceof ForbiddenError && e instanceof ApiError);
        assert.equal(e.code, 403);
        assert.equal(e.method, 'sendMessage');
        return true;
      });
      await assert.rejects(bot.api.sendMessage({ chat_id: 5, text: 'hi' }), (e) => {
        assert.ok(e instanceof ApiError && !(e instanceof ForbiddenError));
        assert.equal(e.kind, 'bad_request');
        return true;
      });
      await assert.rejects(bot.api.noSuchMethod({}), InvalidCallError);
      await assert.rejects(bot.api.sendMessage('text'), InvalidCallError);
      await assert.rejects(bot.api.sendMessage({ chat_id: 1 }), InvalidCallError);
      // A failed call nobody awaits goes to bot.catch, not to an unhandled rejection.
      bot.api.sendMessage({ chat_id: 998, text: 'lost?' });
      await until(() => errors.some((e) => e instanceof ForbiddenError), { what: 'the reported error' });
    },
  );
});

test('invalid options are typed errors', () => {
  assert.throws(() => new Bot({ platform: 'telegram' }), InvalidOptionsError);
  assert.throws(() => new Bot({ platform: 'telegram', token: TOKEN, tokn: 1 }), /tokn/);
  assert.throws(() => new Bot({ platform: 'mastodon' }), InvalidOptionsError);
  assert.throws(() => new Bot('telegram'), InvalidOptionsError);
  assert.throws(() => new Bot({ platform: 'telegram', token: TOKEN, dispatch: { concurrency: 0 } }), InvalidOptionsError);
  const bot = new Bot({ platform: 'telegram', token: TOKEN, intake: 'none' });
  assert.throws(() => bot.command('start', 'not a function'), InvalidOptionsError);
  assert.throws(() => bot.on('nonsense', () => {}), InvalidOptionsError);
  assert.throws(() => bot.hears(/ping/, 'not a function'), InvalidOptionsError);
  // Patterns are JavaScript's own: lookaround is fine.
  bot.hears(/(?=lookahead)/, () => {});
});

test('lost requests are retried and nothing is lost; a dead server is a typed error', async () => {
  await withBot(
    () => ({ actionRetryDelayMs: 50, polling: { backoffInitialMs: 50, backoffMaxMs: 200 } }),
    async ({ bot, sim }) => {
      const notices = [];
      bot.onNotice((n) => notices.push(n));
      bot.on('message', (ctx) => ctx.reply(`echo: ${ctx.text}`));
      await control(sim, '/control/fault', { kind: 'drop_request', method: 'sendMessage', times: 2 });
      await control(sim, '/control/fault', { kind: 'drop_response', method: 'getUpdates', times: 1 });
      await bot.start();
      await control(sim, '/control/message', { user_id: 42, text: 'one' });
      await control(sim, '/control/message', { user_id: 42, text: 'two' });
      const t = await transcript(sim, { min: 2 });
      assert.deepEqual(said(t), ['echo: one', 'echo: two']);

      await sim.stop();
      await assert.rejects(bot.api.getMe(), (e) => {
        assert.ok(e instanceof NetworkError);
        assert.equal(e.kind, 'network');
        return true;
      });
      await until(() => notices.some((n) => n.kind === 'polling_paused'), { what: 'polling paused' });
      const started = Date.now();
      await bot.stop();
      assert.ok(Date.now() - started < 3000, 'stop does not wait for the dead server');
      const after = await control(sim, '/control/state').catch(() => 'gone');
      assert.equal(after, 'gone');
    },
  );
});

test('stop aborts the long poll at once', async () => {
  await withBot(
    () => ({ polling: { timeoutSecs: 30 } }),
    async ({ bot, sim }) => {
      bot.on('message', (ctx) => ctx.reply(ctx.text));
      await bot.start();
      await until(async () => (await control(sim, '/control/state')).has_held_poll, { what: 'a held poll' });
      const started = Date.now();
      const stopped = await bot.stop();
      assert.ok(Date.now() - started < 2000, `stop took ${Date.now() - started} ms`);
      assert.equal(typeof stopped, 'object');
    },
  );
});

test('webhooks: fetch handler with the secret token, and the Node http adapter', async () => {
  await withBot(
    () => ({ intake: 'webhook', webhook: { secretToken: 's3cret' } }),
    async ({ bot, sim }) => {
      bot.on('message', (ctx) => ctx.reply(`hook: ${ctx.text}`));
      const handle = bot.webhookHandler();
      // The simulator keeps the update for a poller that never comes; it is delivered here.
      await control(sim, '/control/message', { user_id: 42, text: 'via fetch' });
      const [update] = await control(sim, '/control/updates');
      const deliver = (secret) =>
        handle(
          new Request('http://bot.example/hook', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
            body: JSON.stringify(update),
          }),
        );
      assert.equal((await deliver('wrong')).status, 401);
      assert.equal((await deliver('s3cret')).status, 200);
      assert.equal((await handle(new Request('http://bot.example/hook'))).status, 405);
      let t = await transcript(sim, { min: 1 });
      assert.equal(t[0].text, 'hook: via fetch');

      // With a context that has waitUntil (a Worker's), it gets the promise of the update's
      // handling: settled only once the reply went out.
      const waits = [];
      const workerCtx = { waitUntil: (promise) => waits.push(promise) };
      const viaWorker = { ...update, update_id: update.update_id + 1, message: { ...update.message, text: 'via worker' } };
      const viaWorkerRequest = () =>
        handle(
          new Request('http://bot.example/hook', {
            method: 'POST',
            headers: { 'x-telegram-bot-api-secret-token': 's3cret' },
            body: JSON.stringify(viaWorker),
          }),
          {},
          workerCtx,
        );
      const hooked = await viaWorkerRequest();
      assert.equal(hooked.status, 200);
      assert.equal(waits.length, 1);
      await waits[0];
      t = await control(sim, '/control/transcript?since=1&min=0&wait_ms=0');
      assert.deepEqual(t.map((e) => e.text), ['hook: via worker']);
      // A repeated delivery has nothing to wait for.
      const again = await viaWorkerRequest();
      assert.equal(again.status, 200);
      assert.equal(waits.length, 1);

      const server = http.createServer(bot.nodeHandler());
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      try {
        const second = { ...update, update_id: update.update_id + 2, message: { ...update.message, text: 'via node' } };
        const response = await fetch(`http://127.0.0.1:${server.address().port}/`, {
          method: 'POST',
          headers: { 'X-Telegram-Bot-Api-Secret-Token': 's3cret' },
          body: JSON.stringify(second),
          signal: AbortSignal.timeout(5000),
        });
        assert.equal(response.status, 200);
        t = await transcript(sim, { min: 3 });
        assert.equal(t[2].text, 'hook: via node');
      } finally {
        await new Promise((r) => server.close(r));
      }
    },
  );
});

test('files: replyWithFile and sendFile upload bytes that come back unchanged; bad files are typed errors', async () => {
  await withBot(
    () => ({}),
    async ({ bot, sim, errors }) => {
      const bytes = new Uint8Array([0, 1, 2, 127, 128, 250, 255, ...new TextEncoder().encode('hello')]);
      const results = [];
      bot.on('message', async (ctx) => {
        results.push(await ctx.replyWithFile({ name: 'data.bin', bytes, mime: 'application/octet-stream' }, { caption: 'your file' }));
      });
      await bot.start();
      await control(sim, '/control/message', { user_id: 42, text: 'send me a file' });
      let t = await transcript(sim, { min: 1 });
      assert.equal(t[0].method, 'sendDocument');
      assert.equal(t[0].text, 'your file');
      await until(() => results.length === 1, { what: 'the upload result' });
      const document = results[0].document;
      assert.equal(document.file_name, 'data.bin');
      const file = await bot.api.getFile({ file_id: document.file_id });
      const back = await fetch(`${sim.url}/file/bot${TOKEN}/${file.file_path}`, { signal: AbortSignal.timeout(5000) });
      assert.deepEqual([...new Uint8Array(await back.arrayBuffer())], [...bytes]);

      // A Blob, shown as a photo; an ArrayBuffer.
      const chat = `telegram:${t[0].chat_id}`;
      await bot.sendFile(chat, new Blob([bytes], { type: 'image/png' }), { kind: 'photo', name: 'pic.png' });
      await bot.sendFile(chat, { name: 'raw.bin', bytes: bytes.buffer.slice(0) }, { kind: 'audio' });
      t = await transcript(sim, { min: 3 });
      assert.deepEqual(
        t.map((e) => e.method),
        ['sendDocument', 'sendPhoto', 'sendAudio'],
      );

      // Bad files: typed errors, nothing sent.
      await assert.rejects(bot.sendFile(chat, { bytes }), InvalidCallError);
      await assert.rejects(bot.sendFile(chat, { name: 'x', bytes: [1, 2] }), InvalidCallError);
      await assert.rejects(bot.sendFile(chat, new Blob([bytes])), InvalidCallError);
      await assert.rejects(bot.sendFile(chat, { name: 'x', bytes }, { kind: 'sticker' }), (e) => {
        assert.ok(e instanceof InvalidCallError, e.name);
        assert.match(e.message, /unknown file kind "sticker"/);
        return true;
      });
      assert.equal((await transcript(sim, { min: 0, waitMs: 0 })).length, 3);
      assert.deepEqual(errors, []);
    },
  );
});
