// The in-package simulator transport: no network, no server, no token. It exists only in the
// simulator build (pkg-sim/, which the web demo loads); the published build refuses it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as shipped from '../index.js';
import { importSimulatorBuild } from './helpers.mjs';

const { Bot, InvalidOptionsError } = await importSimulatorBuild();

test('the published build has no simulator', () => {
  for (const platform of ['telegram', 'trueconf']) {
    assert.throws(
      () => new shipped.Bot({ platform, simulator: true }),
      (error) =>
        error instanceof shipped.InvalidOptionsError &&
        error.kind === 'invalid_options' &&
        /this build of botwire has no simulator/.test(error.message) &&
        /pkg-sim/.test(error.message),
    );
  }
  // Everything else of the option bag is unchanged.
  const bot = new shipped.Bot({ platform: 'telegram', token: '1:A', simulator: false });
  assert.equal(bot.simulator, undefined);
  // The simulator build is another module: its errors are its own classes.
  assert.notEqual(InvalidOptionsError, shipped.InvalidOptionsError);
});

test('a bot on the in-package Telegram simulator', async () => {
  const bot = new Bot({ platform: 'telegram', simulator: true });
  bot.command('start', (ctx) => ctx.reply('Pick one', { keyboard: [[{ text: 'A', data: 'a' }]] }));
  bot.callbackQuery('a', async (ctx) => {
    await ctx.answer();
    await ctx.reply('You picked A');
  });
  bot.on('message', (ctx) => ctx.reply(ctx.text));
  await bot.start();
  try {
    assert.equal(bot.botInfo.username, 'botwire_bot');
    bot.simulator.userSays('/start');
    let t = await bot.simulator.waitFor(1);
    assert.equal(t[0].text, 'Pick one');
    bot.simulator.pressButton('a');
    bot.simulator.userSays('hello');
    t = await bot.simulator.waitFor(4);
    assert.deepEqual(
      t.map((e) => [e.action, e.text]),
      [
        ['sent', 'Pick one'],
        ['answered', null],
        ['sent', 'You picked A'],
        ['sent', 'hello'],
      ],
    );
    assert.throws(() => bot.simulator.pressButton('zzz'), /zzz/);
  } finally {
    const started = Date.now();
    await bot.stop();
    assert.ok(Date.now() - started < 2000);
  }
});

test('a bot on the in-package TrueConf simulator', async () => {
  const bot = new Bot({ platform: 'trueconf', simulator: true });
  bot.command('menu', (ctx) =>
    ctx.reply('Pick a colour', { keyboard: [[{ text: 'Red', data: 'red' }]] }),
  );
  bot.on('message', (ctx) => ctx.reply(`echo: ${ctx.text}`));
  await bot.start();
  try {
    assert.match(bot.botInfo.userId, /^helpdesk_bot@/);
    bot.simulator.userSays('hi');
    let t = await bot.simulator.waitFor(1);
    assert.equal(t[0].text, 'echo: hi');
    bot.simulator.userSays('/menu');
    t = await bot.simulator.waitFor(2);
    assert.equal(t[1].text, 'Pick a colour');
    assert.ok(t[1].buttons, 'the keyboard became TrueConf buttons');
  } finally {
    await bot.stop();
  }
});

test('the simulator takes no token or api root', () => {
  assert.throws(
    () => new Bot({ platform: 'telegram', simulator: true, apiRoot: 'http://x' }),
    InvalidOptionsError,
  );
  assert.equal(new Bot({ platform: 'telegram', token: '1:A' }).simulator, undefined);
  assert.throws(() => new Bot({ platform: 'trueconf', simulator: true, server: 'h' }), /server/);
});
