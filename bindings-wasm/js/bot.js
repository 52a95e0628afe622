// The Bot class: options, routes and middleware, start/stop, raw API calls, webhooks.
// Routing, per-chat order, retries, dead letters, flood control, acknowledgement and
// conversations are the runtime's (in WebAssembly); this file only adapts them to JavaScript.

import { WasmBot, setTextTester } from '../pkg/botwire_wasm.js';
import { ensureWebSocket } from './host.js';
import { Context, sendOptions } from './context.js';
import {
  BotwireError,
  HandlerError,
  InvalidCallError,
  InvalidOptionsError,
  StoppedError,
  UndecodableUpdateError,
  errorFromInfo,
} from './errors.js';

const utf8 = new TextEncoder();

/** A buffer for UTF-8 handed to the engine, which copies it at once: one for all calls. */
let scratch = new Uint8Array(16 * 1024);
const SCRATCH_MAX = 1024 * 1024;

/** `text` in UTF-8, in the shared buffer (valid until the next call) unless it is long. */
function utf8Of(text) {
  const most = text.length * 3;
  if (most > scratch.length) {
    if (most > SCRATCH_MAX) return utf8.encode(text);
    scratch = new Uint8Array(Math.max(most, scratch.length * 2));
  }
  const { written } = utf8.encodeInto(text, scratch);
  return scratch.subarray(0, written);
}

// Aliases of event kinds in the vocabulary of JS bot frameworks.
const KIND_ALIASES = {
  callback_query: 'button_press',
  edited: 'edited_message',
  channel_post: 'message',
};

const KINDS = new Set([
  'message',
  'edited_message',
  'deleted_message',
  'button_press',
  'inline_query',
  'chosen_inline_result',
  'member_joined',
  'member_left',
  'member_role_changed',
  'chat_created',
  'chat_removed',
  'reaction',
  'upload_progress',
  'unknown',
]);

function isPlainObject(value) {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A JS RegExp as a pattern of the runtime's regex engine (flags i, m, s carried over). */
// Text tests of routes (`hears`, `callbackQuery` and `inlineQuery` with a RegExp or a
// string), by number, for every bot of the module: the engine asks JavaScript, so a pattern
// means what it means in JavaScript.
const textTests = new Map();
let nextTextTest = 0;
let testerSet = false;

/** Runs text test `index` on `text`: `null`, or `[groups, named]` for the engine. */
function runTextTest(index, text) {
  const match = textTests.get(index)(text);
  if (!match) return null;
  const groups = Array.from(match, (g) => (g === undefined || g === null ? undefined : String(g)));
  const named = match.groups ? Object.entries(match.groups) : [];
  return [groups, named];
}

/** Registers the test of `trigger` (a RegExp, or a string the text must equal) for `bot`;
 * its number. */
function textTest(bot, trigger) {
  if (!testerSet) {
    setTextTester(runTextTest);
    testerSet = true;
  }
  let test;
  if (trigger instanceof RegExp) {
    // A copy: the route keeps its own lastIndex (reset for every test, so that /g and /y
    // patterns match from the start).
    const regex = new RegExp(trigger.source, trigger.flags);
    test = (text) => {
      regex.lastIndex = 0;
      return regex.exec(text);
    };
  } else {
    const exact = String(trigger);
    test = (text) => (text === exact ? [text] : null);
  }
  const index = nextTextTest++;
  textTests.set(index, test);
  bot._textTests.push(index);
  return index;
}

/** What the engine of a disposed bot answers to every call: it is stopped for good. */
const DISPOSED = { kind: 'stopped', message: 'the bot was disposed' };

const LATE_REPORTS = new Set(['complete', 'fail', 'httpResponse', 'httpError']);

/** Stands in for the engine of a disposed bot: every method throws DISPOSED, as the engine
 * throws its error descriptions. */
function disposedCore(platform) {
  return new Proxy(
    {},
    {
      get(_target, name) {
        if (name === 'platform') return platform;
        if (name === 'hasSimulator') return false;
        // Reports of handlers and requests that finish late: nobody waits for them.
        if (LATE_REPORTS.has(name)) return () => false;
        return () => {
          throw DISPOSED;
        };
      },
    },
  );
}

function checkHandler(handler) {
  if (typeof handler !== 'function') {
    throw new InvalidOptionsError('a handler must be a function');
  }
}

/** A Promise subclass for the results of actions and calls: when it rejects and nobody has
 * subscribed to it (no `await`, `then` or `catch`), the error goes to `bot.catch` instead of
 * becoming an unhandled rejection. */
class BotPromise extends Promise {
  static get [Symbol.species]() {
    return Promise;
  }

  then(onFulfilled, onRejected) {
    this._observed = true;
    return super.then(onFulfilled, onRejected);
  }
}

/** An error description thrown by the engine: JSON text (or already an object). */
function infoOf(thrown) {
  if (typeof thrown !== 'string') return thrown;
  try {
    return JSON.parse(thrown);
  } catch {
    return { kind: 'internal', message: thrown };
  }
}

const idOf = (value) => (value === undefined || value === null ? undefined : String(value));

/** The simulated user of a bot created with `simulator: true` (Telegram: users are numbers,
 * 1001 by default; TrueConf: logins, `alice` by default). */
class Simulator {
  constructor(bot) {
    this._bot = bot;
  }

  /** The user writes `text` (in their private chat, or in `chatId`). */
  userSays(text, { userId, chatId } = {}) {
    return this._bot._core.simUserSays(String(text), idOf(userId), idOf(chatId));
  }

  /** The user presses the button with callback data `data` under the bot's latest keyboard
   * (TrueConf: a button's id, command or label). */
  pressButton(data, { userId } = {}) {
    return this._bot._core.simPressButton(String(data), idOf(userId));
  }

  /** The user types an inline query (Telegram). */
  inlineQuery(query, { userId } = {}) {
    return this._bot._core.simInlineQuery(String(query), idOf(userId));
  }

  /** Everything the bot did, in order: `{ seq, action, method, chat_id, text, ... }`. */
  transcript() {
    return this._bot._core.simTranscript();
  }

  /** Resolves with the transcript once it has at least `count` entries (rejects after
   * `timeoutMs`). */
  waitFor(count, { timeoutMs = 5000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const check = () => {
        const transcript = this.transcript();
        if (transcript.length >= count) resolve(transcript);
        else if (Date.now() >= deadline) {
          reject(new BotwireError(`the transcript has ${transcript.length} of ${count} entries`));
        } else setTimeout(check, 10);
      };
      check();
    });
  }
}

function isBytes(value) {
  return value instanceof Uint8Array || (typeof Blob !== 'undefined' && value instanceof Blob);
}

function base64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** The name, MIME type and bytes of a file given to `sendFile`: `{ name, bytes, mime? }`
 * (bytes a Uint8Array or an ArrayBuffer) or a `Blob`/`File` (named by `name`, or its own). */
async function fileOf(file, name) {
  if (typeof Blob !== 'undefined' && file instanceof Blob) {
    const fileName = name ?? file.name;
    if (typeof fileName !== 'string' || fileName === '') {
      throw new TypeError('a Blob needs a name: sendFile(chat, blob, { name })');
    }
    return { name: fileName, mime: file.type || undefined, bytes: new Uint8Array(await file.arrayBuffer()) };
  }
  if (!isPlainObject(file) || typeof file.name !== 'string' || file.name === '') {
    throw new TypeError('a file is { name, bytes, mime? } or a Blob');
  }
  const { bytes, mime } = file;
  if (mime !== undefined && typeof mime !== 'string') throw new TypeError('a file\'s mime is a string');
  if (bytes instanceof Uint8Array) return { name: name ?? file.name, mime, bytes };
  if (bytes instanceof ArrayBuffer) return { name: name ?? file.name, mime, bytes: new Uint8Array(bytes) };
  throw new TypeError('a file\'s bytes are a Uint8Array or an ArrayBuffer');
}

/** Files given as `Uint8Array` or `Blob`/`File` (in parameters, or one level down as in
 * `sendMediaGroup`'s `media`) become the codec's `{ file_name, data_base64, mime_type }`. */
async function withUploads(params) {
  const convert = async (value, name) => {
    if (!isBytes(value)) return value;
    const bytes = value instanceof Uint8Array ? value : new Uint8Array(await value.arrayBuffer());
    const upload = { file_name: value.name || name, data_base64: base64(bytes) };
    if (value.type) upload.mime_type = value.type;
    return upload;
  };
  const out = {};
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) {
      out[key] = await Promise.all(
        value.map(async (item) => {
          if (!isPlainObject(item)) return convert(item, key);
          const copy = { ...item };
          for (const [k, v] of Object.entries(item)) copy[k] = await convert(v, k);
          return copy;
        }),
      );
    } else {
      out[key] = await convert(value, key);
    }
  }
  return out;
}

function makeApi(bot) {
  return new Proxy(Object.create(null), {
    get(_, name) {
      // Not a thenable, not a method of Object: only platform methods.
      if (typeof name !== 'string' || name === 'then' || name === 'toJSON') return undefined;
      return (params = undefined) => bot._call(name, params);
    },
  });
}

/** Returns its argument from `new`, so that the fields of a class extending it go onto that
 * object (private fields: invisible to keys, JSON and spreads). */
class Stamp {
  constructor(target) {
    return target;
  }
}

/** The text of an event's payload, parsed when first read. */
class PayloadText extends Stamp {
  #text;
  #parsed;

  constructor(event, text) {
    super(event);
    this.#text = text;
  }

  /** The payload of `event` (or of the first object on its prototype chain that has one). */
  static read(event) {
    for (let o = event; o !== null && typeof o === 'object'; o = Object.getPrototypeOf(o)) {
      if (#text in o) {
        if (o.#text !== undefined) {
          o.#parsed = JSON.parse(o.#text);
          o.#text = undefined;
        }
        return o.#parsed;
      }
    }
    return undefined;
  }
}

// One getter for every event: a getter of its own per event would cost a closure and, worse,
// a hidden class of its own per event.
const PAYLOAD = {
  enumerable: true,
  configurable: true,
  get() {
    return PayloadText.read(this);
  },
};

/** Gives `event` a `payload` property that parses `text` when first read (most handlers never
 * look at the raw update). */
function lazyPayload(event, text) {
  new PayloadText(event, text);
  Object.defineProperty(event, 'payload', PAYLOAD);
}

/** The event object (as the runtime's `Event::to_json` writes it, without `payload`) from the
 * JSON array of its fields the engine sends with each dispatch (`head_array` in
 * src/bot.rs, which documents the positions). */
function eventOf([platform, id, seq, kind, platformKind, chat, from, message, contentType, text, data, queryId]) {
  const event = {
    chat: chat === null ? null : chatOf(chat),
    content_type: contentType,
    data,
    from: from === null ? null : userOf(from),
    id,
    kind,
    message: message === null ? null : messageOf(message),
    platform,
    platform_kind: platformKind,
    query_id: queryId,
  };
  if (seq !== null) event.seq = seq;
  event.text = text;
  return event;
}

function chatOf([key, type, title]) {
  return title === null ? { key, type } : { key, type, title };
}

function userOf([key, name, username, isBot]) {
  const user = { key };
  if (name !== '') user.name = name;
  if (username !== null) user.username = username;
  user.is_bot = isBot;
  return user;
}

function messageOf([form, a, b]) {
  return form === 'c' ? { chat: a, id: b } : { platform: a, inline_id: b };
}

/** The longest delay `setTimeout` takes (a longer one fires at once). */
const MAX_TIMER_MS = 0x7fffffff;

/** Timeouts (of requests and of handlers) on one host timer, armed no later than the earliest
 * of them: a timeout is an entry, cheaper than a `setTimeout` and a `clearTimeout` of its own.
 * While no timeout waits, the timer keeps no process alive: Node's is unref'd (and ref'd again
 * when one waits), elsewhere it is cleared. */
class Deadlines {
  constructor() {
    this._entries = new Set();
    this._timer = undefined;
    // When the armed timer fires (Infinity: none armed).
    this._at = Infinity;
    this._refed = false;
  }

  /** Calls `fire()` after `ms` unless `cancel(entry)` comes first; returns the entry. */
  add(ms, fire) {
    const entry = { at: performance.now() + ms, fire };
    this._entries.add(entry);
    if (entry.at < this._at) this._arm(entry.at);
    else if (!this._refed) {
      this._timer.ref();
      this._refed = true;
    }
    return entry;
  }

  cancel(entry) {
    if (!this._entries.delete(entry) || this._entries.size !== 0 || this._timer === undefined) return;
    if (typeof this._timer.unref === 'function') {
      // Left armed: the next timeout probably comes soon and takes it back with `ref()`.
      this._timer.unref();
      this._refed = false;
    } else {
      clearTimeout(this._timer);
      this._timer = undefined;
      this._at = Infinity;
    }
  }

  /** Cancels every timeout. */
  clear() {
    this._entries.clear();
    if (this._timer !== undefined) clearTimeout(this._timer);
    this._timer = undefined;
    this._at = Infinity;
    this._refed = false;
  }

  _arm(at) {
    if (this._timer !== undefined) clearTimeout(this._timer);
    this._at = at;
    const delay = Math.min(Math.max(1, Math.ceil(at - performance.now())), MAX_TIMER_MS);
    this._timer = setTimeout(() => this._fire(), delay);
    this._refed = true;
  }

  _fire() {
    this._timer = undefined;
    this._at = Infinity;
    this._refed = false;
    const now = performance.now();
    const due = [];
    let next = Infinity;
    for (const entry of this._entries) {
      if (entry.at <= now) due.push(entry);
      else if (entry.at < next) next = entry.at;
    }
    for (const entry of due) this._entries.delete(entry);
    if (next !== Infinity) this._arm(next);
    for (const entry of due) {
      try {
        entry.fire();
      } catch (error) {
        // As from a timer of its own: uncaught, and the other timeouts still fire.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

/** The headers of the latest request (JSON text of `[[name, value], ...]`) and their entries:
 * most requests have the same. */
let lastHeadersJson;
let lastHeaders;

function headersOf(json) {
  if (json !== lastHeadersJson) {
    lastHeaders = JSON.parse(json);
    lastHeadersJson = json;
  }
  return Object.fromEntries(lastHeaders);
}

/** A chat bot on Telegram or TrueConf. */
export class Bot {
  /**
   * `new Bot({ platform: 'telegram', token, apiRoot? })`, `new Bot({ platform: 'telegram',
   * simulator: true })` (simulator build only), or `new Bot({ platform: 'trueconf', server,
   * port?, https?, username, password })`; see index.d.ts for every option. Throws
   * InvalidOptionsError.
   */
  constructor(options) {
    if (!isPlainObject(options)) {
      throw new InvalidOptionsError('new Bot(options) takes a plain object');
    }
    const { conversation, botInfo, transport, ...rest } = options;
    if (transport !== undefined && typeof transport !== 'function') {
      throw new InvalidOptionsError('options.transport must be a function (request) => Promise<{ status, body }>');
    }
    if (botInfo !== undefined) {
      if (!isPlainObject(botInfo) || typeof botInfo.username !== 'string') {
        throw new InvalidOptionsError('options.botInfo must be the result of getMe (an object with a username)');
      }
      if (rest.platform !== 'telegram') {
        throw new InvalidOptionsError('options.botInfo applies to Telegram bots');
      }
    }
    let onIdle;
    let conversationData;
    if (conversation !== undefined) {
      if (!isPlainObject(conversation)) {
        throw new InvalidOptionsError('options.conversation must be a plain object');
      }
      ({ onIdle, ...conversationData } = conversation);
      if (onIdle !== undefined && typeof onIdle !== 'function') {
        throw new InvalidOptionsError('options.conversation.onIdle must be a function');
      }
      rest.conversation = conversationData;
    }
    if (rest.platform === 'trueconf') {
      try {
        ensureWebSocket();
      } catch (error) {
        throw new InvalidOptionsError(error.message);
      }
    }
    let json;
    try {
      json = JSON.stringify(rest);
    } catch (error) {
      throw new InvalidOptionsError(`options cannot be read: ${error.message}`);
    }
    try {
      this._core = new WasmBot(json);
    } catch (error) {
      throw new InvalidOptionsError(error?.message ?? String(error));
    }
    this.platform = this._core.platform;
    this.api = makeApi(this);
    this.simulator = this._core.hasSimulator ? new Simulator(this) : undefined;
    this.botInfo = botInfo;
    this._handlers = [];
    this._textTests = [];
    this._disposed = false;
    this._middleware = [];
    this._catch = undefined;
    this._notice = undefined;
    this._onIdle = onIdle;
    this._starting = undefined;
    this._stopped = false;
    this._intake = rest.intake;
    // Actions and calls awaited, by action id; handleUpdate calls waiting, by event id.
    this._actions = new Map();
    // Results that arrived while the action was being started (the in-package simulator
    // answers at once), by action id.
    this._early = new Map();
    this._updates = new Map();
    this._handlerTimeoutMs = this._core.handlerTimeoutMs;
    this._deadlines = new Deadlines();
    // The text of the `handleUpdate` call under way (see `_handOver`).
    this._freshText = undefined;
    if (transport) {
      this._transport = transport;
      this._requests = new Map();
      this._core.setTransport(
        (id, method, url, headers, timeoutMs, body) => this._send(id, method, url, headers, timeoutMs, body),
        (id) => this._requests.get(id)?.abort(),
      );
    }
    if (botInfo) this._core.setBotUsername(botInfo.username);
    this._core.setCallbacks(
      (id, event, payload, handler, attempt, conversationKey, matchKind, matchText, payloadKept) =>
        this._dispatch(id, event, payload, handler, attempt, conversationKey, matchKind, matchText, payloadKept),
      (info) => this._report(errorFromInfo(info)),
      (info) => this._noticed(info),
      (key, state) => this._idle(key, state),
      (id, ok, json) => this._done(id, ok, json),
      (eventId, error) => this._settled(eventId, error),
    );
  }

  _register(handler) {
    checkHandler(handler);
    this._handlers.push(handler);
    return this._handlers.length - 1;
  }

  _route(register) {
    try {
      register();
    } catch (error) {
      throw error instanceof BotwireError ? error : new InvalidOptionsError(error?.message ?? String(error));
    }
    return this;
  }

  /** Handles the command(s) `/name` of new messages; `ctx.match` is the text after it. */
  command(names, handler) {
    const list = (Array.isArray(names) ? names : [names]).map((n) => String(n).replace(/^\//, ''));
    return this._route(() => this._core.routeCommand(list, this._register(handler)));
  }

  /** Handles events of a kind: `"message"`, `"message:text"` (a content type), `"edited_message"`,
   * `"callback_query"`, `"inline_query"`, `"member_joined"`, ... */
  on(filter, handler) {
    const [rawKind, contentType] = String(filter).split(':', 2);
    const kind = KIND_ALIASES[rawKind] ?? rawKind;
    if (!KINDS.has(kind)) {
      throw new InvalidOptionsError(`unknown event kind ${JSON.stringify(filter)}`);
    }
    return this._route(() => this._core.routeOn(kind, contentType, this._register(handler)));
  }

  /** Handles button presses whose data equals `trigger` (a string), matches it (a RegExp;
   * `ctx.match` holds the captures), or starts with `trigger.prefix`. */
  callbackQuery(trigger, handler) {
    return this._route(() => {
      if (trigger instanceof RegExp) {
        this._core.routeCallbackTest(textTest(this, trigger), this._register(handler));
      } else if (isPlainObject(trigger) && typeof trigger.prefix === 'string') {
        this._core.routeCallbackData(trigger.prefix, true, this._register(handler));
      } else {
        this._core.routeCallbackData(String(trigger), false, this._register(handler));
      }
    });
  }

  /** Handles new messages whose text equals `trigger` (a string) or matches it (a RegExp). */
  hears(trigger, handler) {
    return this._route(() => {
      if (trigger instanceof RegExp) {
        this._core.routeHears(textTest(this, trigger), this._register(handler));
      } else {
        this._core.routeText(String(trigger), this._register(handler));
      }
    });
  }

  /** Handles inline queries (whose text matches `trigger`, when given). */
  inlineQuery(trigger, handler) {
    if (handler === undefined && typeof trigger === 'function') {
      return this._route(() => this._core.routeInlineQuery(undefined, this._register(trigger)));
    }
    return this._route(() => this._core.routeInlineQuery(textTest(this, trigger), this._register(handler)));
  }

  /** Handles every event no other route took. */
  otherwise(handler) {
    return this._route(() => this._core.routeCatchAll(this._register(handler)));
  }

  /** Middleware `(ctx, next) => ...` run for every event, in order, before its handler. */
  use(middleware) {
    checkHandler(middleware);
    this._middleware.push(middleware);
    this._core.setMiddleware();
    return this;
  }

  /** Receives every error: handler errors, timeouts, dead letters, failed actions nobody
   * awaited, fatal intake errors. Without it they are printed with console.error. */
  catch(handler) {
    checkHandler(handler);
    this._catch = handler;
    return this;
  }

  /** Receives what the runtime tells for logging (polling paused, reconnects, ...). */
  onNotice(handler) {
    checkHandler(handler);
    this._notice = handler;
    return this;
  }

  /** Starts intake: Telegram checks the token with getMe (`bot.botInfo`; skipped when
   * `options.botInfo` was given), then polls; TrueConf resolves once connected. Rejects with
   * a typed error (UnauthorizedError, NetworkError, ...) and then does not run. */
  start() {
    this._stopped = false;
    if (!this._starting) {
      this._starting = this._start().catch((error) => {
        this._starting = undefined;
        throw error;
      });
    }
    return this._starting;
  }

  async _start() {
    if (this.platform === 'telegram') {
      if (this.botInfo === undefined) {
        const me = await this.api.getMe();
        // Raw results are the server's JSON as sent; the bot itself relies on these.
        const missing = Object.entries({ id: 'number', is_bot: 'boolean', first_name: 'string', username: 'string' }).find(
          ([field, type]) => typeof me?.[field] !== type,
        );
        if (missing) {
          throw errorFromInfo({
            kind: 'invalid_response',
            method: 'getMe',
            message: `the answer's ${missing[0]} is not a ${missing[1]}`,
          });
        }
        this.botInfo = me;
        if (me && typeof me.username === 'string') this._core.setBotUsername(me.username);
      }
      await this._core.start();
    } else {
      try {
        this.botInfo = await this._core.start();
      } catch (info) {
        throw errorFromInfo(info);
      }
    }
    this._started = !this._stopped;
  }

  /** Stops gracefully: intake stops (the long poll is aborted), running handlers and their
   * actions finish, the cursor is confirmed. Resolves with `{ offset }`. */
  async stop() {
    if (this._disposed) return { offset: null };
    this._stopped = true;
    this._started = false;
    const starting = this._starting;
    if (starting) await starting.catch(() => {});
    this._starting = undefined;
    return this._core.stop();
  }

  /** Stops the bot (as `stop()`) and frees what it holds: its engine, its WebAssembly memory,
   * its routes. A bot lives until disposed: the engine holds its callbacks. Every later call
   * fails with a StoppedError; disposing again does nothing. Also `await using bot = ...`. */
  async dispose() {
    if (this._disposed) return;
    try {
      await this.stop();
    } catch {
      // Disposed all the same: nothing of it is used again.
    }
    if (this._disposed) return;
    this._disposed = true;
    this._stopped = true;
    for (const index of this._textTests) textTests.delete(index);
    this._textTests = [];
    for (const entry of this._requests?.values() ?? []) entry.abort();
    const core = this._core;
    this._core = disposedCore(this.platform);
    core.free();
    // Nothing the engine was asked for ever answers now.
    const info = DISPOSED;
    for (const pending of this._actions.values()) pending.reject(info);
    this._actions.clear();
    this._early.clear();
    for (const key of [...this._updates.keys()]) this._settled(key, info);
    this._deadlines.clear();
  }


  /** Sends `text` to a chat by its key (`"telegram:42"`, `"trueconf:<chat id>"`). */
  send(chatKey, text, opts = undefined) {
    return this._perform(() => ({
      action: 'send',
      chat: String(chatKey),
      text: String(text),
      options: sendOptions(opts),
    }));
  }

  /** Sends a file to a chat, by its key. `file`: `{ name, bytes, mime? }` (bytes a
   * Uint8Array or an ArrayBuffer) or a `Blob`/`File`. `opts.kind` says how it is shown:
   * `'document'` (the default), `'photo'`, `'video'`, `'audio'`, `'voice'`; `opts.caption` is a
   * text with it; `opts.name` renames it. Telegram: `sendDocument`, `sendPhoto`, ...;
   * TrueConf: the upload, then `sendFile`. Resolves with the platform's result. */
  sendFile(chatKey, file, opts = undefined) {
    const kind = opts?.kind ?? 'document';
    const caption = opts?.caption === undefined || opts?.caption === null ? undefined : String(opts.caption);
    return this._track(
      fileOf(file, opts?.name).then(
        (f) => this._awaitAction(() => this._core.uploadFile(String(chatKey), f.name, f.mime, f.bytes, String(kind), caption), false),
        (error) => Promise.reject(new InvalidCallError(`sendFile: ${error.message}`, { kind: 'invalid_call' })),
      ),
    );
  }

  /** Performs an action of the runtime's model, e.g. `{ action: 'typing', chat }`. */
  act(action) {
    return this._perform(() => action);
  }

  /** The state to store to resume without losing or repeating events. */
  exportState() {
    return this._core.exportState();
  }

  /** Restores a state from `exportState()` before `start()`; returns how many events return. */
  restoreState(state) {
    return this._core.restoreState(JSON.stringify(state));
  }

  /** Handles one Telegram Update (a parsed object, JSON text or UTF-8 bytes) without HTTP
   * and without polling (`intake: 'none'` or `'webhook'`), starting the bot if needed.
   * Resolves once the update's handlers (and the actions they awaited) settled — a handler
   * that failed every attempt goes to `bot.catch` as a DeadLetterError and still resolves
   * this; a repeated `update_id` resolves at once. Rejects with UndecodableUpdateError (no
   * readable `update_id`), StoppedError (the bot stopped), InvalidCallError (polling
   * intake, TrueConf, a full dispatch queue). */
  handleUpdate(update) {
    return this._track(this._handleUpdate(update));
  }

  /** The promise of `handleUpdate` (not an async function: one promise and two turns less). */
  _handleUpdate(update) {
    let body;
    try {
      if (this.platform !== 'telegram') {
        throw new InvalidCallError('handleUpdate is for Telegram bots', { kind: 'invalid_call' });
      }
      if ((this._intake ?? 'polling') === 'polling') {
        throw new InvalidCallError("handleUpdate needs intake 'webhook' or 'none' (not polling)", {
          kind: 'invalid_call',
        });
      }
      // Text is encoded right before the engine takes it (into the shared buffer).
      if (update instanceof Uint8Array || typeof update === 'string') body = update;
      else if (isPlainObject(update)) body = JSON.stringify(update);
      else {
        throw new UndecodableUpdateError('handleUpdate takes an Update as an object, JSON text or bytes', {
          kind: 'undecodable_update',
        });
      }
      if (this._stopped) throw new StoppedError('the bot has stopped', { kind: 'stopped' });
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this._started) return this.start().then(() => this._handOver(body));
    return this._handOver(body);
  }

  /** Hands an update (bytes, or text) to the engine; the promise of its handling. */
  _handOver(body) {
    let key;
    // Text the engine gets back as it was (no lone surrogates) is kept here during the call:
    // the handler that runs at once for it is not sent a copy (see `_dispatch`).
    const kept = typeof body === 'string' && body.isWellFormed?.() === true;
    const outer = this._freshText;
    this._freshText = kept ? body : undefined;
    try {
      key = this._core.handleUpdate(typeof body === 'string' ? utf8Of(body) : body, kept);
    } catch (thrown) {
      return Promise.reject(infoOf(thrown));
    } finally {
      this._freshText = outer;
    }
    if (key === null || key === undefined) return Promise.resolve(undefined);
    return this._waitSettled(key);
  }

  /** Resolves once event `key` (handed in by handleUpdate or the webhook) settled. */
  _waitSettled(key) {
    return new Promise((resolve, reject) => {
      const waiting = this._updates.get(key);
      const waiter = { resolve, reject };
      if (waiting) waiting.push(waiter);
      else this._updates.set(key, [waiter]);
    });
  }

  _settled(eventId, error) {
    const waiting = this._updates.get(eventId);
    if (!waiting) return;
    this._updates.delete(eventId);
    for (const w of waiting) {
      if (error === undefined || error === null) w.resolve(undefined);
      else w.reject(infoOf(error));
    }
  }

  /** A fetch-style handler for Telegram webhooks: `(request: Request, env?, ctx?) =>
   * Promise<Response>` (Deno, Bun, Node with fetch types, Cloudflare Workers). Needs
   * `intake: 'webhook'`; the secret token of `options.webhook.secretToken` is checked. The
   * response goes back once the update is accepted; where the runtime's third argument has
   * `waitUntil` (a Workers `ExecutionContext`), the runtime is also told to keep running until
   * the update's handlers (and the calls they awaited) settled. */
  webhookHandler() {
    return async (request, _env, ctx) => {
      try {
        if (request.method !== 'POST') return new Response('method not allowed', { status: 405 });
        await this.start();
        const body = new Uint8Array(await request.arrayBuffer());
        const keepAlive = typeof ctx?.waitUntil === 'function';
        const reply = this._core.handleWebhook(JSON.stringify([...request.headers]), body, keepAlive);
        if (keepAlive && reply.key !== null && reply.key !== undefined) {
          // Handler failures already went to bot.catch; waitUntil only needs the moment.
          ctx.waitUntil(this._waitSettled(reply.key).catch(() => {}));
        }
        return new Response(reply.body, {
          status: reply.status,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        });
      } catch (error) {
        this._report(errorFromInfo(error));
        return new Response('internal error', { status: 500 });
      }
    };
  }

  /** The same for Node's http server: `http.createServer(bot.nodeHandler())`. */
  nodeHandler({ maxBodyBytes = 10 * 1024 * 1024 } = {}) {
    return (req, res) => {
      const answer = (status, body) => {
        if (res.headersSent) return;
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(body);
      };
      if (req.method !== 'POST') return answer(405, 'method not allowed');
      const chunks = [];
      let size = 0;
      let refused = false;
      req.on('data', (chunk) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          refused = true;
          answer(413, 'body too large');
          req.destroy();
        } else chunks.push(chunk);
      });
      req.on('error', () => answer(400, 'bad request'));
      req.on('end', () => {
        if (refused) return;
        this.start()
          .then(() => {
            const headers = [];
            for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
              headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
            }
            const body = new Uint8Array(Buffer.concat(chunks));
            const reply = this._core.handleWebhook(JSON.stringify(headers), body, false);
            answer(reply.status, reply.body);
          })
          .catch((error) => {
            this._report(errorFromInfo(error));
            answer(500, 'internal error');
          });
      });
    };
  }

  // ---- internals ----

  /** Runs `build()` (which may throw for bad input) and performs the action it returns. */
  _perform(build) {
    let json;
    try {
      json = JSON.stringify(build());
    } catch (error) {
      return this._track(Promise.reject(error instanceof BotwireError ? error : new InvalidCallError(error.message, { kind: 'invalid_call' })));
    }
    return this._awaitAction(() => this._core.act(json));
  }

  /** Starts an action (`start()` returns its id, or throws an error description) and
   * returns the promise of its result; a rejection nobody observes goes to `bot.catch`
   * unless `report` is false (the caller tracks it itself). */
  _awaitAction(start, report = true) {
    let id;
    try {
      id = start();
    } catch (thrown) {
      const refused = Promise.reject(infoOf(thrown));
      return report ? this._track(refused) : refused;
    }
    let settle;
    const promise = new BotPromise((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Handled from the start (never an unhandled rejection), without counting as observed.
    Promise.prototype.then.call(promise, undefined, () => {});
    this._actions.set(id, {
      resolve: settle.resolve,
      reject: (info) => {
        const error = errorFromInfo(info);
        if (report && !promise._observed) this._report(error);
        settle.reject(error);
      },
    });
    const early = this._early.get(id);
    if (early) {
      // Settled after the caller had the chance to attach its handlers, as any result.
      this._early.delete(id);
      queueMicrotask(() => this._done(id, early[0], early[1]));
    }
    return promise;
  }

  /** Performs request `id` with `options.transport`: `{ method, url, headers, body,
   * timeoutMs, signal }` in, `{ status, body }` (or a fetch `Response`) out. The engine gives
   * the headers as JSON text of `[[name, value], ...]`, `timeoutMs` as a number or
   * `undefined`, and the body as a view of its memory, copied here. */
  _send(id, method, url, headersJson, timeoutMs, bodyView) {
    const body = bodyView.slice();
    let controller;
    const request = {
      method,
      url,
      headers: headersOf(headersJson),
      body,
      timeoutMs,
      // Made on first use: most transports answer without ever looking at it.
      get signal() {
        controller ??= new AbortController();
        return controller.signal;
      },
    };
    const entry = { timer: undefined, done: false };
    const finish = (report) => {
      if (entry.done) return;
      entry.done = true;
      this._requests.delete(id);
      if (entry.timer !== undefined) this._deadlines.cancel(entry.timer);
      report();
    };
    entry.abort = () =>
      finish(() => {
        controller?.abort();
        this._core.httpError(id, 'aborted');
      });
    this._requests.set(id, entry);
    if (timeoutMs !== undefined) {
      entry.timer = this._deadlines.add(timeoutMs, () =>
        finish(() => {
          controller?.abort();
          this._core.httpError(id, 'timeout');
        }),
      );
    }
    const failed = (error) => finish(() => this._core.httpError(id, error?.name === 'AbortError' ? 'aborted' : 'connect'));
    let answer;
    try {
      answer = this._transport(request);
    } catch (error) {
      failed(error);
      return;
    }
    // Plain callbacks rather than an async function: one promise less per request.
    const respond = (response) => {
      try {
        if (!response || typeof response.status !== 'number') {
          throw new TypeError('a transport resolves with { status, body }');
        }
        let data = response.body;
        if (typeof response.arrayBuffer === 'function') {
          Promise.resolve(response.arrayBuffer()).then((buffer) => {
            try {
              const bytes = new Uint8Array(buffer);
              finish(() => this._core.httpResponse(id, response.status, bytes));
            } catch (error) {
              failed(error);
            }
          }, failed);
          return;
        }
        if (typeof data === 'string') data = utf8Of(data);
        else if (data instanceof ArrayBuffer) data = new Uint8Array(data);
        else if (data === undefined || data === null) data = new Uint8Array(0);
        else if (!(data instanceof Uint8Array)) throw new TypeError('a response body is a string or bytes');
        finish(() => this._core.httpResponse(id, response.status, data));
      } catch (error) {
        failed(error);
      }
    };
    Promise.resolve(answer).then(respond, failed);
  }

  _done(id, ok, json) {
    const pending = this._actions.get(id);
    if (!pending) {
      this._early.set(id, [ok, json]);
      return;
    }
    this._actions.delete(id);
    if (ok) {
      let result;
      try {
        result = JSON.parse(json);
      } catch {
        result = json;
      }
      pending.resolve(result);
    } else {
      pending.reject(infoOf(json));
    }
  }

  _call(method, params) {
    if (params !== undefined && !isPlainObject(params)) {
      return this._track(
        Promise.reject(
          new InvalidCallError(`${method}: parameters must be a plain object`, { kind: 'invalid_call', method }),
        ),
      );
    }
    if (params === undefined) return this._awaitAction(() => this._core.call(method, ''));
    return this._track(
      withUploads(params).then(
        (json) => this._awaitAction(() => this._core.call(method, JSON.stringify(json)), false),
        (error) => Promise.reject(new InvalidCallError(`${method}: ${error.message}`, { kind: 'invalid_call', method })),
      ),
    );
  }

  _track(raw) {
    let settle;
    const promise = new BotPromise((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Handled from the start (never an unhandled rejection), without counting as observed.
    Promise.prototype.then.call(promise, undefined, () => {});
    raw.then(settle.resolve, (info) => {
      const error = errorFromInfo(info);
      if (!promise._observed) this._report(error);
      settle.reject(error);
    });
    return promise;
  }

  /** Runs the middleware and the handler of dispatch `id`, then tells the engine:
   * `complete(id)`, or `fail(id, reason)` when the handler threw or did not settle within the
   * handler timeout. The event comes as the JSON text of an array of its fields (see `eventOf`);
   * its payload apart, as JSON text parsed when first read (none: the text of the
   * `handleUpdate` call under way, see `payloadKept`). The match comes as arguments: the
   * handler's index (`undefined`: no route matched), the attempt, the conversation key, and
   * what the route extracted (`matchKind` 1: a command, `matchText` the JSON text of `{ name,
   * prefix, username, args, rest }`; 2: regex captures, the JSON text of `{ groups, named }`;
   * 3: the rest of callback data, as it is; 0: nothing). With `payloadKept`, the payload is
   * the text of the `handleUpdate` call under way (`_freshText`). */
  _dispatch(id, eventJson, payloadText, handlerIndex, attempt, conversationKey, matchKind, matchText, payloadKept) {
    if (payloadKept) payloadText = this._freshText;
    const event = eventOf(JSON.parse(eventJson));
    if (payloadText !== undefined) lazyPayload(event, payloadText);
    const match = { attempt, conversationKey, command: undefined, captures: undefined, callbackRest: undefined };
    if (matchKind === 1) match.command = JSON.parse(matchText);
    else if (matchKind === 2) match.captures = JSON.parse(matchText);
    else if (matchKind === 3) match.callbackRest = matchText;
    const ctx = new Context(this, event, match);
    const handler = handlerIndex === undefined ? undefined : this._handlers[handlerIndex];
    const chain = this._middleware;
    const run = (index) => {
      if (index < chain.length) return chain[index](ctx, () => run(index + 1));
      return handler ? handler(ctx) : undefined;
    };
    const failed = (error) => {
      this._report(new HandlerError(error, ctx));
      this._core.fail(id, error instanceof Error ? error.message : String(error));
    };
    let result;
    try {
      result = run(0);
    } catch (error) {
      failed(error);
      return;
    }
    if (!result || typeof result.then !== 'function') {
      this._core.complete(id);
      return;
    }
    const ms = this._handlerTimeoutMs;
    let timer;
    if (ms !== undefined && ms !== null) {
      timer = this._deadlines.add(ms, () => {
        timer = undefined;
        this._report(
          errorFromInfo({
            kind: 'handler_timeout',
            message: `the handler did not settle within ${ms} ms`,
            timeoutMs: ms,
            event,
          }),
        );
        this._core.fail(id, `handler timed out after ${ms} ms`);
      });
    }
    result.then(
      () => {
        if (timer !== undefined) this._deadlines.cancel(timer);
        else if (ms !== undefined && ms !== null) return;
        this._core.complete(id);
      },
      (error) => {
        if (timer !== undefined) this._deadlines.cancel(timer);
        else if (ms !== undefined && ms !== null) return;
        failed(error);
      },
    );
  }

  _report(error) {
    const handler = this._catch;
    if (!handler) {
      console.error('botwire:', error);
      return;
    }
    try {
      const result = handler(error);
      if (result && typeof result.then === 'function') {
        result.then(undefined, (e) => console.error('botwire: bot.catch failed:', e));
      }
    } catch (e) {
      console.error('botwire: bot.catch failed:', e);
    }
  }

  _noticed(info) {
    if (!this._notice) return;
    try {
      const result = this._notice(info);
      if (result && typeof result.then === 'function') result.then(undefined, () => {});
    } catch {
      // A logger that throws must not break the driver.
    }
  }

  _idle(key, state) {
    if (!this._onIdle) return;
    const chatKey = key.startsWith('chat:') ? key.slice(5) : undefined;
    try {
      const result = this._onIdle({ key, chatKey, state: state ?? undefined, bot: this });
      if (result && typeof result.then === 'function') {
        result.then(undefined, (e) => this._report(new HandlerError(e, undefined)));
      }
    } catch (e) {
      this._report(new HandlerError(e, undefined));
    }
  }
}

// `await using bot = new Bot(...)` where the runtime has explicit resource management.
if (typeof Symbol.asyncDispose === 'symbol') {
  Bot.prototype[Symbol.asyncDispose] = function asyncDispose() {
    return this.dispose();
  };
}
