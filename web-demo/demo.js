// The botwire web demo: an example Telegram bot, written with the npm package's API, running in
// this page. By default it runs against the Telegram simulator compiled into the page's build of
// the package (no token, no network); with a bot token it runs against api.telegram.org with
// long polling (or against another Bot API server, such as a local telegram-bot-api), on the
// same build. That build is bindings-wasm/pkg-sim/ (the import map of index.html loads it in
// place of pkg/): the published package leaves the simulators out.

import { Bot, version } from 'botwire';

// ---------------------------------------------------------------------------------------------
// The bot: what an application using botwire would write.

const IDLE_MS = 2 * 60_000;

/** Registers the example bot's handlers on `bot`. */
function defineBot(bot) {
  bot.command('start', (ctx) =>
    ctx.reply(
      'Hi! I am an example bot running on botwire. I echo what you write. ' +
        'Try /count (a conversation), /menu (an inline keyboard) and /reset.',
    ),
  );

  // A conversation: its state is kept per chat until /reset or two idle minutes.
  bot.command('count', (ctx) => {
    const n = (ctx.conversation.get() ?? 0) + 1;
    ctx.conversation.set(n);
    return ctx.reply(`count: ${n}`);
  });
  bot.command('reset', (ctx) =>
    ctx.reply(ctx.conversation.end() ? 'Counter reset.' : 'There was nothing to reset.'),
  );

  bot.command('menu', (ctx) =>
    ctx.reply('What would you like to drink?', {
      keyboard: [
        [
          { text: 'Coffee', data: 'order:coffee' },
          { text: 'Tea', data: 'order:tea' },
        ],
        [{ text: 'Water', data: 'order:water' }],
      ],
    }),
  );
  bot.callbackQuery(/^order:(\w+)$/, async (ctx) => {
    await ctx.answer(`One ${ctx.match[1]} coming up`);
    await ctx.editText(`You ordered ${ctx.match[1]}.`);
  });

  bot.on('message', (ctx) => (ctx.text ? ctx.reply(`echo: ${ctx.text}`) : undefined));

  bot.catch((err) => {
    console.error(err);
    notice(`The bot failed: ${err.message}`, 'error');
  });
  return bot;
}

const conversation = (getBot) => ({
  idleTimeoutMs: IDLE_MS,
  onIdle: ({ chatKey }) =>
    chatKey ? getBot().send(chatKey, 'Two idle minutes: I forgot the counter.') : undefined,
});

// ---------------------------------------------------------------------------------------------
// The page.

const $ = (selector) => document.querySelector(selector);
const messages = $('#messages');
const status = $('#status');
const input = $('#text');
const sendButton = $('#send');

let current = null; // { bot, mode, stop() }
const bubbles = new Map(); // Telegram message_id → the bot's bubble

function setState(state, text) {
  document.body.dataset.state = state;
  status.textContent = text;
}

function scrollDown() {
  messages.scrollTop = messages.scrollHeight;
}

function item(className) {
  const li = document.createElement('li');
  li.className = className;
  messages.append(li);
  return li;
}

function userBubble(text, who) {
  const li = item('bubble user');
  if (who) {
    const name = document.createElement('span');
    name.className = 'who';
    name.textContent = who;
    li.append(name);
  }
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = text;
  li.append(body);
  scrollDown();
}

function notice(text, kind = 'info') {
  const li = item(`notice ${kind}`);
  li.textContent = text;
  scrollDown();
}

function renderKeyboard(li, replyMarkup) {
  li.querySelector('.keyboard')?.remove();
  const rows = replyMarkup?.inline_keyboard;
  if (!Array.isArray(rows) || rows.length === 0) return;
  const keyboard = document.createElement('div');
  keyboard.className = 'keyboard';
  for (const row of rows) {
    const line = document.createElement('div');
    line.className = 'keyboard-row';
    for (const button of row) {
      let element;
      if (button.url) {
        element = document.createElement('a');
        element.href = button.url;
        element.target = '_blank';
        element.rel = 'noopener noreferrer';
      } else {
        element = document.createElement('button');
        element.type = 'button';
        element.dataset.callback = button.callback_data ?? '';
        element.addEventListener('click', () => press(button));
      }
      element.className = 'key';
      element.textContent = button.text;
      line.append(element);
    }
    keyboard.append(line);
  }
  li.append(keyboard);
}

function botBubble(entry) {
  const li = item('bubble bot');
  const body = document.createElement('span');
  body.className = 'text';
  body.textContent = entry.text ?? `(${entry.method})`;
  li.append(body);
  renderKeyboard(li, entry.reply_markup);
  if (entry.message_id != null) bubbles.set(entry.message_id, li);
  scrollDown();
}

/** Shows one entry of the simulator's transcript: what the bot did. */
function renderEntry(entry) {
  const li = entry.message_id != null ? bubbles.get(entry.message_id) : undefined;
  switch (entry.action) {
    case 'sent':
      botBubble(entry);
      break;
    case 'edited':
      if (!li) break;
      if (entry.text != null) li.querySelector('.text').textContent = entry.text;
      renderKeyboard(li, entry.reply_markup);
      li.classList.add('edited');
      break;
    case 'deleted':
      li?.remove();
      break;
    case 'answered':
      if (entry.text) notice(entry.text, 'toast');
      break;
    case 'reacted':
      if (li) li.dataset.reaction = entry.text ?? '';
      break;
    default:
      break; // chat actions (typing…) are not shown
  }
}

// ---------------------------------------------------------------------------------------------
// Simulator mode: the page plays the user; the transcript shows what the bot did.
// (`simulator: true` works only with the simulator build; the published package refuses it.)

async function startSimulator() {
  let bot;
  bot = defineBot(
    new Bot({ platform: 'telegram', simulator: true, conversation: conversation(() => bot) }),
  );
  await bot.start();
  let shown = 0;
  const poll = setInterval(() => {
    const transcript = bot.simulator.transcript();
    for (; shown < transcript.length; shown += 1) renderEntry(transcript[shown]);
    document.body.dataset.replies = String(shown);
  }, 50);
  return {
    bot,
    mode: 'simulator',
    say(text) {
      userBubble(text);
      bot.simulator.userSays(text);
    },
    press(button) {
      notice(`You pressed “${button.text}”`, 'press');
      bot.simulator.pressButton(button.callback_data);
    },
    async stop() {
      clearInterval(poll);
      await bot.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Token mode: Telegram users write to the bot; the page shows what it receives and sends.

async function startReal(token, apiRoot) {
  let bot;
  bot = new Bot({ platform: 'telegram', token, apiRoot, conversation: conversation(() => bot) });
  // Middleware runs before the routes: it shows the incoming event and what the handler sends.
  bot.use(async (ctx, next) => {
    const who = ctx.from?.username ? `@${ctx.from.username}` : (ctx.from?.first_name ?? '');
    if (ctx.text) userBubble(ctx.text, who);
    else if (ctx.data) notice(`${who} pressed a button: ${ctx.data}`, 'press');
    const reply = ctx.reply.bind(ctx);
    ctx.reply = async (text, opts) => {
      const result = await reply(text, opts);
      botBubble({ text, reply_markup: null, method: 'sendMessage' });
      return result;
    };
    const editText = ctx.editText.bind(ctx);
    ctx.editText = async (text) => {
      const result = await editText(text);
      notice(`edited a message: ${text}`);
      return result;
    };
    await next();
  });
  defineBot(bot);
  await bot.start();
  return {
    bot,
    mode: 'token',
    say() {},
    press() {},
    stop: () => bot.stop(),
  };
}

// ---------------------------------------------------------------------------------------------

function press(button) {
  if (!current) return;
  try {
    current.press(button);
  } catch (err) {
    notice(`That keyboard is no longer active (${err.message}).`, 'error');
  }
}

async function switchTo(mode, token, apiRoot) {
  input.disabled = true;
  sendButton.disabled = true;
  if (current) {
    const previous = current;
    current = null;
    await previous.stop().catch((err) => notice(`Stopping the bot: ${err.message}`, 'error'));
  }
  messages.replaceChildren();
  bubbles.clear();
  document.body.dataset.replies = '0';
  try {
    if (mode === 'simulator') {
      setState('starting', 'Starting the bot on the simulated Telegram…');
      current = await startSimulator();
      setState(
        'ready',
        `@${current.bot.botInfo.username} is running on the simulated Telegram in this page. ` +
          'Say /start.',
      );
      input.disabled = false;
      sendButton.disabled = false;
      input.focus();
    } else {
      const server = apiRoot ? new URL(apiRoot).host : 'api.telegram.org';
      setState('starting', `Connecting to ${server} (this needs network)…`);
      current = await startReal(token, apiRoot);
      setState(
        'ready',
        `@${current.bot.botInfo.username} is running against ${server}: ` +
          'write to it from a Telegram app, its replies show here too.',
      );
    }
  } catch (err) {
    setState('error', `The bot did not start: ${err.message}`);
  }
}

$('#composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text || !current || current.mode !== 'simulator') return;
  input.value = '';
  try {
    current.say(text);
  } catch (err) {
    notice(`Could not send: ${err.message}`, 'error');
  }
  input.focus();
});

for (const chip of document.querySelectorAll('.suggestion')) {
  chip.addEventListener('click', () => {
    if (!current || current.mode !== 'simulator') return;
    current.say(chip.dataset.text);
  });
}

const modeForm = $('#mode');
modeForm.addEventListener('change', (event) => {
  if (event.target.name !== 'mode') return;
  const token = event.target.value === 'token';
  $('#token-row').hidden = !token;
  document.body.classList.toggle('token-mode', token);
  if (!token) switchTo('simulator');
  else $('#token').focus();
});
modeForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $('#token').value.trim();
  if (!token) {
    $('#token').focus();
    return;
  }
  const apiRoot = $('#api-root').value.trim();
  if (apiRoot && !URL.canParse(apiRoot)) {
    $('#api-root').focus();
    setState('error', `Not a URL: ${apiRoot}`);
    return;
  }
  switchTo('token', token, apiRoot || undefined);
});

$('#version').textContent = `botwire ${version} ·`;
switchTo('simulator');
