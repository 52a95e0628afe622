// The context a handler receives: the event in the shared model, what the route matched, and
// shortcuts that turn into the runtime's actions (sent through flood control, in chat order).

import { InvalidCallError } from './errors.js';

const FORMATS = { plain: 'Plain', html: 'Html', markdown: 'Markdown', markdownv2: 'MarkdownV2' };
const SEND_KEYS = new Set(['format', 'keyboard', 'silent', 'noLinkPreview', 'quote']);

/** `{ format, keyboard, silent, noLinkPreview }` in the runtime's form. */
export function sendOptions(opts) {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw new InvalidCallError('send options must be an object', { kind: 'invalid_call' });
  }
  for (const key of Object.keys(opts)) {
    if (!SEND_KEYS.has(key)) {
      throw new InvalidCallError(`unknown send option ${JSON.stringify(key)}`, {
        kind: 'invalid_call',
      });
    }
  }
  const out = {};
  if (opts.format !== undefined) {
    const format = FORMATS[String(opts.format).toLowerCase()];
    if (!format) {
      throw new InvalidCallError(
        `format must be "plain", "html", "markdown" or "markdownV2", not ${JSON.stringify(opts.format)}`,
        { kind: 'invalid_call' },
      );
    }
    out.format = format;
  }
  if (opts.keyboard !== undefined) out.keyboard = keyboard(opts.keyboard);
  if (opts.silent) out.silent = true;
  if (opts.noLinkPreview) out.no_link_preview = true;
  return out;
}

/** Rows of buttons `{ text, data }` or `{ text, url }`. */
export function keyboard(rows) {
  if (rows === null) return null;
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) {
    throw new InvalidCallError('a keyboard is an array of rows of buttons', { kind: 'invalid_call' });
  }
  return rows.map((row) =>
    row.map((button) => {
      if (!button || typeof button.text !== 'string' || (button.data === undefined) === (button.url === undefined)) {
        throw new InvalidCallError('a button is { text, data } or { text, url }', {
          kind: 'invalid_call',
        });
      }
      return button.data !== undefined
        ? { text: button.text, data: String(button.data) }
        : { text: button.text, url: String(button.url) };
    }),
  );
}

function regexMatch(captures) {
  const match = captures.groups.map((g) => (g === null ? undefined : g));
  match.index = 0;
  match.groups = Object.keys(captures.named).length
    ? Object.fromEntries(Object.entries(captures.named).map(([k, v]) => [k, v ?? undefined]))
    : undefined;
  return match;
}

/** The conversation of the event (per chat by default): state kept by the runtime, ended
 * after the idle timeout (then `onIdle` runs). */
export class Conversation {
  constructor(bot, key) {
    this.key = key;
    this._bot = bot;
  }

  /** The stored state, or `undefined`. */
  get() {
    if (this.key === undefined) return undefined;
    return this._bot._core.conversationGet(this.key);
  }

  /** Stores `state` (anything JSON can hold) and re-arms the idle timeout. */
  set(state) {
    if (this.key === undefined) {
      throw new InvalidCallError('this event belongs to no conversation', { kind: 'invalid_call' });
    }
    const json = JSON.stringify(state === undefined ? null : state);
    this._bot._core.conversationSet(this.key, json);
  }

  /** Ends the conversation and forgets its state (no idle callback). */
  end() {
    return this.key === undefined ? false : this._bot._core.conversationEnd(this.key);
  }
}

/** What a handler gets. */
export class Context {
  constructor(bot, event, match) {
    this.bot = bot;
    this.api = bot.api;
    this.event = event;
    this.platform = event.platform;
    this.kind = event.kind;
    this.chat = event.chat ?? undefined;
    this.from = event.from ?? undefined;
    this.text = event.text ?? undefined;
    this.data = event.data ?? undefined;
    this.message = event.message ?? undefined;
    this.attempt = match.attempt ?? 1;
    this.command = match.command;
    if (match.captures) this.match = regexMatch(match.captures);
    else if (match.command) this.match = match.command.rest;
    else if (match.callbackRest !== undefined) this.match = match.callbackRest;
    this.conversation = new Conversation(bot, match.conversationKey);
  }

  /** The platform's own payload: the Telegram Update, or TrueConf's `{ method, payload }`
   * (`ctx.event.payload`; a Telegram update is parsed when first read). */
  get update() {
    return this.event.payload;
  }

  /** Sends `text` to this event's chat (`quote: true` replies to its message). */
  reply(text, opts = undefined) {
    // The commonest call crosses without JSON.
    if (opts === undefined && typeof text === 'string' && this.chat) {
      const chat = this.chat.key;
      return this.bot._awaitAction(() => this.bot._core.sendText(chat, text));
    }
    return this.bot._perform(() => {
      const options = sendOptions(opts);
      if (opts?.quote && this.message) {
        return { action: 'reply', to: this.message, text: String(text), options };
      }
      return { action: 'send', chat: this._chatKey(), text: String(text), options };
    });
  }

  /** Sends a file to this event's chat (see `bot.sendFile` for `file` and `opts`). */
  replyWithFile(file, opts = undefined) {
    if (!this.chat) {
      return this.bot._track(Promise.reject(new InvalidCallError('this event has no chat', { kind: 'invalid_call' })));
    }
    return this.bot.sendFile(this.chat.key, file, opts);
  }

  /** Sends `text` to another chat, by its key (`"telegram:42"`). */
  send(chatKey, text, opts = undefined) {
    return this.bot.send(chatKey, text, opts);
  }

  /** Answers the button press (callback query): a notification, or an alert. */
  answer(text = undefined, opts = {}) {
    const queryId = this.event.query_id;
    if (queryId && this.kind === 'button_press' && (text === undefined || typeof text === 'string')) {
      const alert = !!opts?.alert;
      return this.bot._awaitAction(() => this.bot._core.answerButton(queryId, text, alert));
    }
    return this.bot._perform(() => {
      if (!this.event.query_id || this.kind !== 'button_press') {
        throw new InvalidCallError('only a button press can be answered', { kind: 'invalid_call' });
      }
      const action = { action: 'answer_button', query_id: this.event.query_id, alert: !!opts.alert };
      if (text !== undefined) action.text = String(text);
      return action;
    });
  }

  /** Answers the inline query with results in the platform's format. */
  answerInline(results, opts = {}) {
    return this.bot._perform(() => {
      if (!this.event.query_id || this.kind !== 'inline_query') {
        throw new InvalidCallError('only an inline query can be answered inline', {
          kind: 'invalid_call',
        });
      }
      const action = { action: 'answer_inline', query_id: this.event.query_id, results };
      if (opts.cacheTime !== undefined) action.cache_time = opts.cacheTime;
      return action;
    });
  }

  /** Replaces the text of this event's message (the one whose button was pressed). */
  editText(text, opts = undefined) {
    return this.bot._perform(() => ({
      action: 'edit',
      message: this._message(),
      text: String(text),
      options: sendOptions(opts),
    }));
  }

  /** Replaces (or with `null`, removes) the keyboard of this event's message. */
  editKeyboard(rows) {
    return this.bot._perform(() => ({
      action: 'edit_keyboard',
      message: this._message(),
      keyboard: keyboard(rows),
    }));
  }

  /** Deletes this event's message. */
  delete() {
    return this.bot._perform(() => ({ action: 'delete', message: this._message() }));
  }

  /** Sets (or with `null`, removes) the bot's reaction to this event's message. */
  react(emoji) {
    return this.bot._perform(() => ({ action: 'react', message: this._message(), emoji }));
  }

  /** Shows "typing…" in this event's chat. */
  typing() {
    return this.bot._perform(() => ({ action: 'typing', chat: this._chatKey() }));
  }

  /** Performs any action of the runtime's model (`{ action: "pin", message }`, ...). */
  act(action) {
    return this.bot.act(action);
  }

  _chatKey() {
    if (!this.chat) throw new InvalidCallError('this event has no chat', { kind: 'invalid_call' });
    return this.chat.key;
  }

  _message() {
    if (!this.message) throw new InvalidCallError('this event names no message', { kind: 'invalid_call' });
    return this.message;
  }
}
