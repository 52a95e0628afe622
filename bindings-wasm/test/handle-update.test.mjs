// `bot.handleUpdate` against the loopback Telegram simulator (botwire-sim): updates handed in
// without polling (`intake: 'none'`) or next to webhooks, `botInfo` skipping getMe, typed
// refusals, and updates the package cannot decode reaching `bot.catch`.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  Bot,
  DeadLetterError,
  InvalidCallError,
  InvalidOptionsError,
  StoppedError,
  UndecodableUpdateError,
  BotwireError,
} from '../index.js';
import { TOKEN, control, startSim, until, watchRejections } from './helpers.mjs';

const rejections = watchRejections();
after(() => {
  rejections.stop();
  assert.deepEqual(rejections.seen, [], 'no unhandled promise rejection');
});

const BOT_INFO = { id: 123456, is_bot: true, first_name: 'Botwire', username: 'botwire_bot' };

/** A simulator and a bot on it, both stopped at the end of `body`. */
async function withBot(options, body) {
  const sim = await startSim(['--no-rate-limits']);
  const bot = new Bot({ platform: 'telegram', token: TOKEN, apiRoot: sim.url, ...options });
  const errors = [];
  bot.catch((e) => errors.push(e));
  try {
    await body({ bot, sim, errors });
  } finally {
    await Promise.race([bot.stop(), new Promise((r) => setTimeout(r, 5000))]);
    await sim.stop();
  }
}

/** An update as Telegram would send it: a message the simulator made but nobody polled. */
async function messageUpdate(sim, text) {
  await control(sim, '/control/message', { user_id: 42, text });
  const updates = await control(sim, '/control/updates');
  return updates[updates.length - 1];
}

const requests = async (sim) => (await control(sim, '/control/state')).counters.requests;
const said = async (sim) => (await control(sim, '/control/transcript?since=0&min=0&wait_ms=0')).map((e) => e.text);

test('handleUpdate with intake none and botInfo: no getMe, no polling, settles after the handler', async () => {
  await withBot({ intake: 'none', botInfo: BOT_INFO }, async ({ bot, sim, errors }) => {
    let slow = false;
    bot.command('start', async (ctx) => {
      await ctx.reply('hello');
      await new Promise((r) => setTimeout(r, 30));
      slow = true;
    });
    bot.on('message', (ctx) => ctx.reply(`echo: ${ctx.text}`));
    const first = await messageUpdate(sim, '/start@botwire_bot');
    const second = await messageUpdate(sim, 'as text');
    const third = await messageUpdate(sim, 'as bytes');
    const before = await requests(sim);

    await bot.handleUpdate(first);
    // Resolved only after the handler, and the reply it awaited, settled.
    assert.equal(slow, true);
    assert.deepEqual(await said(sim), ['hello']);
    await bot.handleUpdate(JSON.stringify(second));
    await bot.handleUpdate(new TextEncoder().encode(JSON.stringify(third)));
    assert.deepEqual(await said(sim), ['hello', 'echo: as text', 'echo: as bytes']);
    // A repeated update_id resolves at once and is not handled twice.
    await bot.handleUpdate(first);
    assert.deepEqual(await said(sim), ['hello', 'echo: as text', 'echo: as bytes']);

    // Only the three replies: no getMe (botInfo), no getUpdates (intake none).
    assert.equal((await requests(sim)) - before, 3);
    assert.equal(bot.botInfo, BOT_INFO);
    const state = await control(sim, '/control/state');
    assert.equal(state.has_held_poll, false);
    assert.equal(state.pending_update_count, 3, 'nobody polled');
    assert.deepEqual(errors, []);
    // intake 'none' takes no HTTP deliveries.
    const hook = await bot.webhookHandler()(new Request('http://bot.example/', { method: 'POST', body: JSON.stringify(first) }));
    assert.equal(hook.status, 404);
  });
});

test('handleUpdate out of order, and from inside a handler: every update is handled, every call settles', async () => {
  await withBot({ intake: 'none', botInfo: BOT_INFO }, async ({ bot, sim, errors }) => {
    const a = await messageUpdate(sim, 'a');
    const b = await messageUpdate(sim, 'b');
    const c = await messageUpdate(sim, 'c');
    const inner = await messageUpdate(sim, 'inner');
    const d = await messageUpdate(sim, 'handed in from a handler');
    let innerSettled = false;
    bot.on('message', (ctx) => {
      if (ctx.text !== 'inner') return ctx.reply(`echo: ${ctx.text}`);
      // A handler that hands in another update and settles at once, before the update it
      // handed in (same chat: that one runs after this one).
      bot.handleUpdate(d).then(() => {
        innerSettled = true;
      });
      return undefined;
    });
    const settle = (update) =>
      Promise.race([
        bot.handleUpdate(update).then(() => 'settled'),
        new Promise((r) => setTimeout(() => r(`update ${update.update_id} did not settle`), 5000)),
      ]);
    // Deliveries overtake each other: c before a and b.
    assert.equal(await settle(c), 'settled');
    assert.equal(await settle(a), 'settled');
    assert.equal(await settle(b), 'settled');
    assert.equal(await settle(a), 'settled', 'a repeat settles at once');
    assert.equal(await settle(inner), 'settled');
    await until(() => innerSettled, { what: 'the update handed in by a handler to settle' });
    assert.deepEqual(await said(sim), ['echo: c', 'echo: a', 'echo: b', 'echo: handed in from a handler']);
    assert.deepEqual(errors, []);
  });
});

test('handleUpdate: handlers that fail still settle it; refusals are typed errors', async () => {
  await withBot({ intake: 'none', botInfo: BOT_INFO, dispatch: { maxAttempts: 2, retryDelayMs: 20 } }, async ({ bot, sim, errors }) => {
    bot.on('message', () => {
      throw new Error('boom');
    });
    await bot.handleUpdate(await messageUpdate(sim, 'explode'));
    const dead = errors.find((e) => e instanceof DeadLetterError);
    assert.ok(dead, 'the dead letter was reported before handleUpdate resolved');
    assert.equal(dead.attempts, 2);

    for (const bad of ['not json', '{"message":{}}', 42, [1]]) {
      await assert.rejects(bot.handleUpdate(bad), (e) => {
        assert.ok(e instanceof UndecodableUpdateError && e instanceof BotwireError);
        assert.equal(e.kind, 'undecodable_update');
        return true;
      });
    }
    // A rejection nobody awaits goes to bot.catch, not to an unhandled rejection.
    bot.handleUpdate('nope');
    await until(() => errors.some((e) => e instanceof UndecodableUpdateError), { what: 'the reported error' });

    await bot.stop();
    await assert.rejects(bot.handleUpdate(await messageUpdate(sim, 'late')), StoppedError);
  });

  const polling = new Bot({ platform: 'telegram', token: TOKEN, botInfo: BOT_INFO, intake: 'polling', polling: { timeoutSecs: 0 } });
  polling.catch(() => {});
  await assert.rejects(polling.handleUpdate({ update_id: 1 }), InvalidCallError);
  await polling.stop();
  assert.throws(() => new Bot({ platform: 'telegram', token: TOKEN, botInfo: 'me' }), InvalidOptionsError);
  assert.throws(() => new Bot({ platform: 'telegram', token: TOKEN, botInfo: { id: 1 } }), InvalidOptionsError);
});

test('botInfo: start() skips getMe; without it start() calls getMe', async () => {
  await withBot({ intake: 'none', botInfo: BOT_INFO }, async ({ bot, sim }) => {
    const before = await requests(sim);
    await bot.start();
    assert.equal(await requests(sim), before);
    assert.equal(bot.botInfo.username, 'botwire_bot');
  });
  await withBot({ intake: 'none' }, async ({ bot, sim }) => {
    const before = await requests(sim);
    await bot.start();
    assert.equal(await requests(sim), before + 1);
    assert.equal(bot.botInfo.username, 'botwire_bot');
  });
});

test('an update the package cannot decode reaches bot.catch naming its id, and is still dispatched', async () => {
  await withBot({ intake: 'webhook', botInfo: BOT_INFO }, async ({ bot, errors }) => {
    const unknown = [];
    bot.on('unknown', (ctx) => {
      unknown.push(ctx.event.id);
    });
    // A callback query without chat_instance does not fit the Bot API model.
    const pressed = {
      update_id: 700,
      callback_query: { id: 'q1', from: { id: 42, is_bot: false, first_name: 'Ann' }, data: 'x' },
    };
    await bot.handleUpdate(pressed);
    const error = errors.find((e) => e instanceof UndecodableUpdateError);
    assert.ok(error, 'bot.catch got an UndecodableUpdateError');
    assert.equal(error.kind, 'undecodable_update');
    assert.equal(error.updateId, 700);
    assert.equal(error.updateKind, 'callback_query');
    assert.equal(error.reason, 'invalid');
    assert.match(error.message, /update 700/);
    assert.deepEqual(unknown, ['700']);

    // Through the webhook handler too, and for a kind this version does not know.
    const response = await bot.webhookHandler()(
      new Request('http://bot.example/', { method: 'POST', body: JSON.stringify({ update_id: 701, future_kind: { a: 1 } }) }),
    );
    assert.equal(response.status, 200);
    await until(() => errors.some((e) => e.updateId === 701), { what: 'the second report' });
    const second = errors.find((e) => e.updateId === 701);
    assert.ok(second instanceof UndecodableUpdateError);
    assert.equal(second.updateKind, 'future_kind');
    assert.equal(second.reason, 'unknown_kind');
  });
});

test('router options: command prefixes, argument separator, case', async () => {
  const router = { prefixes: ['!'], separator: ',', ignoreCase: true };
  await withBot({ intake: 'none', botInfo: BOT_INFO, router }, async ({ bot, sim }) => {
    const commands = [];
    bot.command('add', (ctx) => {
      commands.push(ctx.command);
      return ctx.reply(`added ${ctx.command.args.join('|')}`);
    });
    const seen = [];
    bot.on('message', (ctx) => {
      seen.push({ update: ctx.update, again: ctx.event.payload, json: JSON.parse(JSON.stringify(ctx.event)) });
      return ctx.reply(`not a command: ${ctx.text}`);
    });
    const first = await messageUpdate(sim, '/add x');
    await bot.handleUpdate(first);
    // The update reaches the handler as it was handed in (read when first asked for, once).
    assert.deepEqual(seen[0].update, first);
    assert.equal(seen[0].again, seen[0].update);
    assert.deepEqual(seen[0].json.payload, first);
    await bot.handleUpdate(await messageUpdate(sim, '!ADD a,,b'));
    assert.deepEqual(await said(sim), ['not a command: /add x', 'added a||b']);
    assert.equal(commands.length, 1);
    assert.equal(commands[0].name, 'add', 'as the route spells it');
    assert.equal(commands[0].prefix, '!');
    assert.deepEqual(commands[0].args, ['a', '', 'b']);
  });
  for (const bad of [{ prefixes: [''] }, { prefix: '!' }, { ignoreCase: 'yes' }]) {
    assert.throws(() => new Bot({ platform: 'telegram', token: TOKEN, router: bad }), InvalidOptionsError);
  }
});

test('hears, callbackQuery and inlineQuery with a RegExp match as JavaScript does', async () => {
  await withBot({ intake: 'none', botInfo: BOT_INFO }, async ({ bot, sim }) => {
    const matches = [];
    // Lookbehind, a named group, the u flag: JavaScript's syntax and meaning.
    bot.hears(/(?<=^say )(?<word>\p{L}+)$/u, (ctx) => {
      matches.push(ctx.match);
      return ctx.reply(`said ${ctx.match.groups.word}`);
    });
    // A global pattern matches from the start every time.
    bot.hears(/^ping (\d+)$/g, (ctx) => ctx.reply(`pong ${ctx.match[1]}`));
    bot.hears('exactly this', (ctx) => ctx.reply('exact'));
    bot.hears(/^HELLO$/i, (ctx) => ctx.reply('hi'));
    bot.on('message', (ctx) => ctx.reply(`other: ${ctx.text}`));
    for (const text of ['say Grüße', 'ping 1', 'ping 2', 'exactly this', 'exactly this!', 'hello', 'say 42']) {
      await bot.handleUpdate(await messageUpdate(sim, text));
    }
    assert.deepEqual(await said(sim), [
      'said Grüße',
      'pong 1',
      'pong 2',
      'exact',
      'other: exactly this!',
      'hi',
      'other: say 42',
    ]);
    assert.deepEqual([...matches[0]], ['Grüße', 'Grüße']);
    assert.equal(matches[0].groups.word, 'Grüße');
  });
});

test('an update no route takes settles at once, and reaches middleware once there is some', async () => {
  await withBot({ intake: 'none', botInfo: BOT_INFO }, async ({ bot, sim }) => {
    bot.command('start', (ctx) => ctx.reply('started'));
    await bot.handleUpdate(await messageUpdate(sim, 'nobody routes this'));
    await bot.handleUpdate(await messageUpdate(sim, '/start'));
    const seen = [];
    bot.use(async (ctx, next) => {
      seen.push(ctx.text);
      await next();
    });
    await bot.handleUpdate(await messageUpdate(sim, 'nor this'));
    await bot.handleUpdate(await messageUpdate(sim, '/start'));
    assert.deepEqual(seen, ['nor this', '/start']);
    assert.deepEqual(await said(sim), ['started', 'started']);
  });
});

/** JSON text with every object's keys sorted. */
function canonical(value) {
  return JSON.stringify(value, (_key, v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
      : v,
  );
}

test('ctx.event holds what the runtime writes for the event, for every kind of update', async () => {
  // No network: handed-in updates, a transport answering from memory.
  const bot = new Bot({
    platform: 'telegram',
    token: TOKEN,
    intake: 'none',
    botInfo: BOT_INFO,
    transport: async () => ({ status: 200, body: '{"ok":true,"result":true}' }),
    dispatch: { maxAttempts: 1 },
  });
  const seen = new Map();
  const dead = new Map();
  bot.use((ctx) => {
    seen.set(ctx.event.id, ctx.event);
    throw new Error('to the dead letters, which carry the event as the runtime writes it');
  });
  bot.catch((e) => {
    if (e instanceof DeadLetterError) dead.set(e.event.id, e.event);
  });
  const user = { id: 7, is_bot: false, first_name: 'Zoë "Z" \\ Ünal', username: 'zoe' };
  const bare = { id: 8, is_bot: true, first_name: '' };
  const group = { id: -100123, type: 'supergroup', title: 'Chat "Ω" 😀\n' };
  const updates = [
    { update_id: 1, message: { message_id: 3, date: 1, chat: { id: 7, type: 'private', first_name: 'Zoë' }, from: user, text: 'hi "there" \u2028 😀' } },
    { update_id: 2, message: { message_id: 4, date: 1, chat: group, from: bare, caption: 'a photo', photo: [{ file_id: 'p', file_unique_id: 'u', width: 1, height: 1 }] } },
    { update_id: 3, channel_post: { message_id: 5, date: 1, chat: { id: -1001, type: 'channel', title: 'News' }, text: 'post' } },
    { update_id: 4, edited_message: { message_id: 3, date: 1, edit_date: 2, chat: group, from: user, text: 'edited' } },
    { update_id: 5, callback_query: { id: 'q1', from: user, chat_instance: 'c', data: 'pressed', message: { message_id: 9, date: 1, chat: group, text: 'menu' } } },
    { update_id: 6, callback_query: { id: 'q2', from: bare, chat_instance: 'c', inline_message_id: 'inl-1', data: 'x' } },
    { update_id: 7, inline_query: { id: 'iq', from: user, query: 'find "me"', offset: '' } },
    { update_id: 8, chosen_inline_result: { result_id: 'r1', from: user, query: 'q', inline_message_id: 'inl-2' } },
    { update_id: 9, my_chat_member: { chat: group, from: user, date: 1, old_chat_member: { status: 'left', user: bare }, new_chat_member: { status: 'member', user: bare } } },
    { update_id: 10, message_reaction: { chat: group, message_id: 3, user, date: 1, old_reaction: [], new_reaction: [{ type: 'emoji', emoji: '👍' }] } },
    { update_id: 11, future_kind: { anything: [1, 2] } },
    { update_id: 12, message: { message_id: 1 } },
  ];
  try {
    for (const update of updates) await bot.handleUpdate(update);
    assert.equal(seen.size, updates.length, 'every update reached the middleware');
    for (const update of updates) {
      const id = String(update.update_id);
      const event = seen.get(id);
      const { payload, ...written } = dead.get(id);
      const { payload: given, ...head } = event;
      assert.deepEqual(given, update, `payload of update ${id}`);
      assert.deepEqual(payload, update);
      // The same fields with the same values: nothing missing, nothing added, no `undefined`.
      assert.equal(canonical(head), canonical(written), `event of update ${id}`);
    }
    // Spot checks of the shape itself.
    assert.deepEqual(seen.get('1').from, { key: 'telegram:7', name: user.first_name, username: 'zoe', is_bot: false });
    assert.deepEqual(seen.get('2').from, { key: 'telegram:8', is_bot: true });
    assert.deepEqual(seen.get('2').chat, { key: 'telegram:-100123', type: 'supergroup', title: group.title });
    assert.deepEqual(seen.get('6').message, { platform: 'telegram', inline_id: 'inl-1' });
    assert.deepEqual(seen.get('5').message, { chat: 'telegram:-100123', id: '9' });
    assert.equal(seen.get('3').from, null);
    assert.equal(seen.get('7').chat, null);
    assert.equal(seen.get('1').seq, 1);
  } finally {
    await bot.stop();
  }
});

test('dispose frees a bot: later calls are StoppedErrors, and disposed bots are garbage', async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const collected = { count: 0 };
  const registry = new FinalizationRegistry(() => collected.count++);
  const transport = async () => ({ status: 200, body: '{"ok":true,"result":{"message_id":1,"date":1,"chat":{"id":7,"type":"private"}}}' });
  const update = (id) => ({ update_id: id, message: { message_id: id, date: 1, chat: { id: 7, type: 'private' }, from: { id: 7, is_bot: false, first_name: 'A' }, text: 'hi' } });
  const N = 200;
  let last;
  for (let i = 0; i < N; i++) {
    const bot = new Bot({ platform: 'telegram', token: TOKEN, intake: 'none', botInfo: BOT_INFO, transport });
    bot.hears(/^h(i)$/, (ctx) => ctx.reply(`heard ${ctx.match[1]}`));
    bot.command('start', (ctx) => ctx.reply('hello'));
    await bot.handleUpdate(update(i + 1));
    registry.register(bot, i);
    await bot.dispose();
    await bot.dispose();
    if (i === N - 1) last = bot;
  }
  await assert.rejects(last.handleUpdate(update(1000)), StoppedError);
  await assert.rejects(last.send('telegram:7', 'x'), StoppedError);
  await assert.rejects(last.api.getMe(), StoppedError);
  assert.deepEqual(await last.stop(), { offset: null });
  last = undefined;
  for (let round = 0; round < 20 && collected.count < N - 1; round++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  // Without dispose none is ever collected: the engine holds each bot's callbacks.
  assert.ok(collected.count >= N - 1, `${collected.count} of ${N} disposed bots collected`);
});
