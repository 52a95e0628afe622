// Smoke test of the npm package against telegram-test-api, a third-party fake Bot API server
// (Express, in-process): a botwire bot polls it, a simulated user writes to it, and the test
// reads what the bot sent from the fake's storage.
//
// What the fake supports, and so what is tested here: getMe, getUpdates, sendMessage,
// editMessageText, editMessageReplyMarkup, answerCallbackQuery, deleteMessage, setWebhook and
// deleteWebhook; a user sending a message, a command (with a bot_command entity) or a callback
// query.
//
// Its gaps (as of 4.2.1), which this test works around or leaves out:
// - getMe answers without `is_bot` (a required field): a raw `bot.api.getMe()` hands the answer
//   on as it is (raw results are the server's JSON), but `bot.start()`, which relies on it,
//   rightly refuses it; the test checks that refusal (a typed ApiError), then puts a shim in
//   front of the fake's Express app that completes that answer (and getUpdates', below); every
//   other request reaches the fake untouched.
// - getUpdates ignores `offset`, `limit`, `timeout` and `allowed_updates`: it answers at once
//   (no long poll) with every update not fetched before and marks them read on fetch, so an
//   update lost by the bot is never redelivered and acknowledgement cannot be observed.
// - Callback queries: the client's makeCallbackQuery gives the query's `message` neither
//   `message_id` nor `date` (the test supplies them through its options), and the fake's
//   getUpdates drops `chat_instance` (a required field) from every callback query, so botwire
//   cannot decode the update; the shim's getUpdates adds it back.
// - answerCallbackQuery and editMessageText answer `result: null` (Telegram: `true`, or the
//   Message), which botwire refuses as an invalid response: the test checks that the answer
//   to a button press fails with that typed error, and that the handler goes on.
// - It enforces no rate limits; the bot's per-chat flood budget is raised accordingly (with
//   Telegram's one message a second per chat, the replies would come a second apart).
// - Sent messages come back with `date` in milliseconds, no `from`, and every request field
//   echoed back.
// - Errors are `{ message }` with HTTP 500, not `{ ok: false, error_code, description }`;
//   there is no 401 for a wrong token (every token is accepted), no 429 and no retry_after,
//   so error mapping, flood control and retries cannot be exercised.
// - Methods beyond the list above (sendChatAction, sendPhoto, answerInlineQuery, ...) answer
//   500 "not supported"; inline queries cannot be sent by its client at all.
// - Stored messages expire after `storeTimeout` seconds; a webhook is called by the fake with
//   axios, without the secret token header.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createRequire } from 'node:module';
import { ApiError, Bot } from '../../bindings-wasm/index.js';

const require = createRequire(import.meta.url);
const TelegramServer = require('telegram-test-api');

const TOKEN = '424242:SMOKE-TEST-TOKEN';
const USER_ID = 7001;

/** A free loopback port (the fake cannot listen on port 0: it builds its URL from the port). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves with `probe()`'s value once it is truthy; rejects after `timeoutMs`. */
async function until(probe, { timeoutMs = 5000, everyMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Rejects after `ms` if `promise` has not settled. */
function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

let server;
let completeGetMe = false;
let rawGetMe;
let rawMe;
let client;
let bot;
const errors = [];
const pressed = [];
const answerErrors = [];

/** What the bot sent to the user's chat (sendMessage), in order. */
function botMessages() {
  return server.storage.botMessages
    .filter((m) => m.botToken === TOKEN && String(m.message.chat_id) === String(USER_ID))
    .map((m) => ({ messageId: m.messageId, ...m.message }));
}

async function waitForBotMessages(count, what) {
  return until(() => {
    const sent = botMessages();
    return sent.length >= count ? sent : undefined;
  }, { what: `${what} (${count} bot messages)` });
}

before(async () => {
  const port = await freePort();
  server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 60 });
  // The shim of getMe (see the gaps above); start() serves `server.webServer`.
  const app = server.webServer;
  const shim = (req, res) => {
    if (completeGetMe && req.url === `/bot${TOKEN}/getMe`) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, result: { id: 666, is_bot: true, first_name: 'Test First name', username: 'TestNameBot' } }));
      return;
    }
    if (completeGetMe && req.url === `/bot${TOKEN}/getUpdates`) {
      // The fake's own getUpdates (it ignores the request's parameters), with chat_instance.
      const result = server.getUpdates(TOKEN).map((u) =>
        u.callback_query ? { ...u, callback_query: { chat_instance: '-1', ...u.callback_query } } : u,
      );
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, result }));
      return;
    }
    app(req, res);
  };
  shim.settings = app.settings;
  server.webServer = shim;
  await bounded(server.start(), 5000, 'telegram-test-api start');

  const strict = new Bot({ platform: 'telegram', token: TOKEN, apiRoot: server.config.apiURL, actionAttempts: 1 });
  rawGetMe = await bounded(strict.start().then(() => undefined, (e) => e), 5000, 'start with the raw getMe');
  rawMe = await bounded(strict.api.getMe(), 5000, 'raw getMe');
  await bounded(strict.stop(), 5000, 'strict.stop()');
  completeGetMe = true;

  client = server.getClient(TOKEN, { userId: USER_ID, chatId: USER_ID, firstName: 'Smoke', timeout: 2000 });

  bot = new Bot({
    platform: 'telegram',
    token: TOKEN,
    apiRoot: server.config.apiURL,
    polling: { timeoutSecs: 1, backoffInitialMs: 50, backoffMaxMs: 200 },
    callTimeoutMs: 3000,
    actionAttempts: 1,
    flood: { perChat: { max: 100, windowMs: 1000 } },
  });
  bot.catch((e) => errors.push(e));
  bot.command('start', (ctx) =>
    ctx.reply('Welcome!', { keyboard: [[{ text: 'Red', data: 'color:red' }, { text: 'Blue', data: 'color:blue' }]] }),
  );
  bot.command('sum', (ctx) => {
    const total = ctx.command.args.map(Number).reduce((a, b) => a + b, 0);
    return ctx.reply(`sum: ${total}`);
  });
  bot.callbackQuery({ prefix: 'color:' }, async (ctx) => {
    pressed.push(ctx.data);
    await ctx.answer(`picked ${ctx.data.slice(6)}`).catch((e) => answerErrors.push(e));
    await ctx.reply(`You picked ${ctx.data.slice(6)}`);
  });
  bot.on('message:text', (ctx) => ctx.reply(`echo: ${ctx.text}`));
  await bounded(bot.start(), 5000, 'bot.start()');
});

after(async () => {
  if (bot) await bounded(bot.stop(), 5000, 'bot.stop()').catch((e) => errors.push(e));
  if (server) await bounded(server.stop(), 5000, 'telegram-test-api stop');
});

test("the fake's getMe as is: a raw call hands it on, start() refuses it with a typed error", () => {
  assert.equal(rawMe.username, 'TestNameBot');
  assert.equal(rawMe.is_bot, undefined);
  assert.ok(rawGetMe instanceof ApiError, `expected an ApiError, got ${rawGetMe}`);
  assert.equal(rawGetMe.kind, 'invalid_response');
  assert.match(rawGetMe.message, /is_bot/);
});

test('start() reads getMe', () => {
  assert.equal(bot.botInfo.username, 'TestNameBot');
  assert.equal(bot.botInfo.id, 666);
});

test('a user message gets an echo reply', async () => {
  await client.sendMessage(client.makeMessage('hello there'));
  const sent = await waitForBotMessages(1, 'the echo');
  assert.equal(sent[0].text, 'echo: hello there');
  assert.equal(String(sent[0].chat_id), String(USER_ID));
  assert.deepEqual(errors, []);
});

test('commands are routed, with their arguments', async () => {
  const before = botMessages().length;
  await client.sendCommand(client.makeCommand('/sum 2 3 37'));
  const sent = await waitForBotMessages(before + 1, 'the /sum reply');
  assert.equal(sent[before].text, 'sum: 42');

  await client.sendCommand(client.makeCommand('/start'));
  const after = await waitForBotMessages(before + 2, 'the /start reply');
  const welcome = after[before + 1];
  assert.equal(welcome.text, 'Welcome!');
  assert.deepEqual(welcome.reply_markup.inline_keyboard, [
    [
      { text: 'Red', callback_data: 'color:red' },
      { text: 'Blue', callback_data: 'color:blue' },
    ],
  ]);
  assert.deepEqual(errors, []);
});

test('a button press reaches the callback route and is answered', async () => {
  const keyboardMessage = botMessages().find((m) => m.text === 'Welcome!');
  assert.ok(keyboardMessage, 'the /start reply with its keyboard was sent');
  const before = botMessages().length;
  const query = client.makeCallbackQuery('color:blue', {
    // Fields Telegram always sends and the fake leaves out.
    message: { message_id: keyboardMessage.messageId, date: Math.floor(Date.now() / 1000), text: 'Welcome!' },
  });
  await client.sendCallback(query);
  const sent = await waitForBotMessages(before + 1, 'the reply to the button press');
  assert.deepEqual(pressed, ['color:blue']);
  assert.equal(sent[before].text, 'You picked blue');
  // The fake's `result: null` for answerCallbackQuery, refused with a typed error.
  assert.equal(answerErrors.length, 1);
  assert.ok(answerErrors[0] instanceof ApiError, `expected an ApiError, got ${answerErrors[0]}`);
  assert.equal(answerErrors[0].kind, 'invalid_response');
  assert.deepEqual(errors, []);
});

test('the user-side client of the fake sees the bot messages', async () => {
  const history = await bounded(client.getUpdatesHistory(), 3000, 'getUpdatesHistory');
  const texts = history.filter((u) => u.message && u.message.chat_id !== undefined).map((u) => u.message.text);
  assert.deepEqual(texts, ['echo: hello there', 'sum: 42', 'Welcome!', 'You picked blue']);
});
