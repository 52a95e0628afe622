// TypeScript declarations of the `botwire` package (the Bot API, its context, options and
// errors). The platform methods of `bot.api` come from ./types/.

import type { TelegramMethods } from './types/telegram.js';
import type { TrueConfMethods } from './types/trueconf.js';

export type { TelegramMethods } from './types/telegram.js';
export type { TrueConfMethods } from './types/trueconf.js';

/** The platforms a bot runs on. */
export type Platform = 'telegram' | 'trueconf';

/** The package's version. */
export const version: string;

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/** `max` sends per `windowMs` milliseconds. */
export interface Budget {
  max: number;
  windowMs: number;
}

/** The runtime's dispatcher: per-chat order, concurrency, retries and dead letters. */
export interface DispatchOptions {
  /** Handlers running at once across chats (default 32). */
  concurrency?: number;
  /** Attempts per event before it becomes a dead letter (default 3). */
  maxAttempts?: number;
  /** Delay before the first retry (ms, default 1000), doubled per retry. */
  retryDelayMs?: number;
  /** A handler that has not settled after this long (ms) counts as failed (default 60000;
   * 0 waits forever). */
  handlerTimeoutMs?: number;
  /** Unsettled events held at most (default 10000). */
  maxQueued?: number;
}

/** Conversations: state per chat (or user, message, the whole bot) with an idle timeout. */
export interface ConversationOptions {
  /** What a conversation belongs to (default `"chat"`). */
  per?: 'chat' | 'user' | 'message' | 'app';
  /** A conversation without events for this long (ms) ends and `onIdle` runs (default 0:
   * never). */
  idleTimeoutMs?: number;
  /** Called when a conversation ended idle, with its last state. */
  onIdle?: (idle: IdleConversation) => unknown;
}

/** A conversation that ended idle. */
export interface IdleConversation {
  /** The conversation key (`"chat:telegram:42"`). */
  key: string;
  /** The chat key, for conversations per chat (`"telegram:42"`). */
  chatKey: string | undefined;
  /** Its last state. */
  state: unknown;
  bot: Bot;
}

/** What Telegram's `getMe` answers (the fields botwire reads; the rest is kept). */
export interface TelegramBotInfo {
  id: number;
  is_bot: boolean;
  first_name: string;
  username: string;
  [field: string]: unknown;
}

/** A request handed to `options.transport`. */
export interface TransportRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
  /** The request's deadline; the bot fails the request as timed out after it. */
  timeoutMs?: number;
  /** Aborted when the bot gives the request up (stop, timeout). */
  readonly signal: AbortSignal;
}

/** What `options.transport` resolves with: a status and a body (or a fetch `Response`). */
export interface TransportResponse {
  status: number;
  body?: string | Uint8Array | ArrayBuffer | null;
}

/** `options.router`. */
export interface RouterOptions {
  /** Command prefixes (default `['/']`); the first one a text starts with is used. An empty
   * list turns command routes off. */
  prefixes?: string[];
  /** What separates command arguments (default: runs of whitespace, no empty arguments);
   * any other string keeps empty arguments (`','` reads `/add a,,b` as `['a', '', 'b']`). */
  separator?: string;
  /** Compare command names ignoring case (default false). */
  ignoreCase?: boolean;
}

/** Options every bot takes. */
export interface CommonOptions {
  /** Performs the bot's HTTP requests instead of `fetch` (a proxy, a custom agent, a test
   * double). WebSocket traffic (TrueConf) is not affected. */
  transport?: (request: TransportRequest) => Promise<TransportResponse | { status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
  dispatch?: DispatchOptions;
  conversation?: ConversationOptions;
  /** How `bot.command` routes read commands. */
  router?: RouterOptions;
  /** Attempts per action (send, edit, call) before its failure is reported (default 3). */
  actionAttempts?: number;
  /** Delay before repeating a failed action (ms, default 1000), doubled per attempt. */
  actionRetryDelayMs?: number;
  /** Seed of retry jitter and generated ids. */
  seed?: number;
}

/** `new Bot({ platform: 'telegram', ... })`. */
export interface TelegramBotOptions extends CommonOptions {
  platform: 'telegram';
  /** The bot token from @BotFather (not needed with `simulator`). */
  token?: string;
  /** The Bot API root (default `https://api.telegram.org`). */
  apiRoot?: string;
  /** Route every request to a simulated Telegram inside the package (no network, no token);
   * `bot.simulator` plays the user. Only in the simulator build of the package (`pkg-sim/`
   * of the repository's `build.sh`, which the web demo loads): the published package has no
   * simulator and throws InvalidOptionsError. */
  simulator?: boolean;
  /** How updates arrive (default `"polling"`): `"webhook"` (HTTP deliveries through
   * `webhookHandler`/`nodeHandler`, and `handleUpdate`), `"none"` (no polling, no HTTP
   * deliveries: updates come only through `bot.handleUpdate`). */
  intake?: 'polling' | 'webhook' | 'none';
  /** The result of `getMe`, known beforehand: `start()` then skips its `getMe` call. */
  botInfo?: TelegramBotInfo;
  polling?: {
    /** Long-poll timeout (s, default 30). */
    timeoutSecs?: number;
    limit?: number;
    allowedUpdates?: string[];
    backoffInitialMs?: number;
    backoffMaxMs?: number;
  };
  webhook?: {
    /** Checked against `X-Telegram-Bot-Api-Secret-Token`. */
    secretToken?: string;
    maxBodyBytes?: number;
  };
  /** HTTP timeout of ordinary calls (ms). */
  callTimeoutMs?: number;
  /** When updates are acknowledged (default `"afterReceipt"`). */
  ack?: 'afterReceipt' | 'afterHandling';
  /** Flood control of sends (defaults: Telegram's published limits). */
  flood?: {
    perChat?: Budget;
    perGroup?: Budget;
    global?: Budget;
    maxQueuedPerChat?: number;
    maxQueuedTotal?: number;
  };
}

/** `new Bot({ platform: 'trueconf', ... })`. */
export interface TrueConfBotOptions extends CommonOptions {
  platform: 'trueconf';
  /** Talk to a simulated TrueConf server inside the package (no network, no account; then
   * leave out server, port, https and credentials); `bot.simulator` plays the user. Only in
   * the simulator build of the package (`pkg-sim/` of the repository's `build.sh`): the
   * published package has no simulator and throws InvalidOptionsError. */
  simulator?: boolean;
  /** The server's host name or address (required unless `simulator`). */
  server?: string;
  /** Default 443 with `https`, 4309 without. */
  port?: number;
  /** HTTPS and WSS (default true). */
  https?: boolean;
  username?: string;
  password?: string;
  /** An OAuth application's client id (the three-step flow, server 5.5.3 or later). */
  clientId?: string;
  /** A ready JWT instead of `username` and `password`. */
  accessToken?: string;
  /** WebSocket ping interval (ms). Off by default: browsers cannot send pings; in Node (ws)
   * a ping is answered at once, so it only keeps the connection busy. */
  keepAliveMs?: number;
  /** Replay messages that arrived while offline. */
  receiveUnread?: boolean;
  requestTimeoutMs?: number;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Reconnect attempts before giving up (default: forever). */
  maxReconnectAttempts?: number;
  /** Send `answerCommand` for button answers. */
  answerCommands?: boolean;
}

export interface OptionsByPlatform {
  telegram: TelegramBotOptions;
  trueconf: TrueConfBotOptions;
}

export type BotOptions = TelegramBotOptions | TrueConfBotOptions;

// ---------------------------------------------------------------------------------------------
// Events, actions, context
// ---------------------------------------------------------------------------------------------

/** What an event is about. */
export type EventKind =
  | 'message'
  | 'edited_message'
  | 'deleted_message'
  | 'button_press'
  | 'inline_query'
  | 'chosen_inline_result'
  | 'member_joined'
  | 'member_left'
  | 'member_role_changed'
  | 'chat_created'
  | 'chat_removed'
  | 'reaction'
  | 'upload_progress'
  | 'unknown';

/** `bot.on(filter)`: a kind, an alias, or `"kind:contentType"` (`"message:photo"`). */
export type EventFilter =
  | EventKind
  | 'callback_query'
  | 'edited'
  | 'channel_post'
  | `${EventKind | 'channel_post'}:${string}`;

export interface ChatInfo {
  /** `"<platform>:<id>"`, stable, safe to store. */
  key: string;
  type: 'private' | 'group' | 'supergroup' | 'channel' | 'unknown';
  title?: string;
}

export interface UserInfo {
  key: string;
  name?: string;
  username?: string;
  is_bot: boolean;
}

/** A message: in a chat, or sent in inline mode. */
export type MessageKey = { chat: string; id: string } | { platform: Platform; inline_id: string };

/** An event in the runtime's shared model. */
export interface BotEvent {
  platform: Platform;
  id: string;
  seq?: number;
  kind: EventKind;
  /** The platform's name of the kind (`"channel_post"`, `"sendMessage"`, ...). */
  platform_kind: string;
  chat: ChatInfo | null;
  from: UserInfo | null;
  message: MessageKey | null;
  content_type: string | null;
  text: string | null;
  data: string | null;
  query_id: string | null;
  /** The Telegram Update, or TrueConf's `{ method, payload }`. */
  payload: unknown;
}

export interface Button {
  text: string;
  data?: string;
  url?: string;
}

/** A file to send: its name, bytes and MIME type, or a `Blob`/`File` (browsers, Node's
 * `Blob`). */
export type FileInput = { name: string; bytes: Uint8Array | ArrayBuffer; mime?: string } | Blob;

/** How `sendFile` / `replyWithFile` send a file. */
export interface SendFileOptions {
  /** How it is shown (default `"document"`): Telegram's `sendDocument`, `sendPhoto`, ... */
  kind?: 'document' | 'photo' | 'video' | 'audio' | 'voice';
  /** A text with it. */
  caption?: string;
  /** Its name, in place of the file's own (needed for a `Blob` without one). */
  name?: string;
}

export interface SendOptions {
  format?: 'plain' | 'html' | 'markdown' | 'markdownV2';
  /** An inline keyboard: rows of buttons. */
  keyboard?: Button[][];
  silent?: boolean;
  noLinkPreview?: boolean;
  /** `ctx.reply` only: reply to the event's message. */
  quote?: boolean;
}

/** An action of the runtime's model, as `bot.act` takes it (snake_case, tagged by `action`). */
export type Action =
  | { action: 'send'; chat: string; text: string; options?: object }
  | { action: 'reply'; to: MessageKey; text: string; options?: object }
  | { action: 'edit'; message: MessageKey; text: string; options?: object }
  | { action: 'edit_keyboard'; message: MessageKey; keyboard: Button[][] | null }
  | { action: 'delete' | 'pin' | 'unpin'; message: MessageKey }
  | { action: 'react'; message: MessageKey; emoji: string | null }
  | { action: 'forward'; message: MessageKey; to: string }
  | { action: 'answer_button'; query_id: string; text?: string; alert?: boolean }
  | { action: 'answer_inline'; query_id: string; results: unknown[]; cache_time?: number }
  | { action: 'typing' | 'leave'; chat: string }
  | { action: 'kick' | 'unban'; chat: string; user: string }
  | { action: 'ban'; chat: string; user: string; until?: number }
  | { action: 'set_title'; chat: string; title: string }
  | { action: 'set_description'; chat: string; description: string }
  | { action: 'call'; platform: Platform; method: string; args: object };

/** The result of an action: the platform method's result (a sent message, `true`, ...). */
export type ActionResult = unknown;

/** A command a route matched. */
export interface CommandMatch {
  name: string;
  prefix: string;
  username: string | null;
  args: string[];
  rest: string;
}

/** The regex captures of `hears`/`callbackQuery`/`inlineQuery` with a RegExp. */
export interface RegexMatch extends Array<string | undefined> {
  index: number;
  groups: Record<string, string | undefined> | undefined;
}

/** The conversation of an event. */
export declare class Conversation {
  /** `undefined` when the event belongs to no conversation. */
  readonly key: string | undefined;
  /** The stored state, or `undefined`. */
  get<T = unknown>(): T | undefined;
  /** Stores the state (JSON-serialisable) and re-arms the idle timeout. */
  set(state: unknown): void;
  /** Ends it and forgets its state (no `onIdle`); whether it was live. */
  end(): boolean;
}

/** What a handler receives. */
export declare class Context<P extends Platform = Platform> {
  readonly bot: Bot<P>;
  readonly api: Bot<P>['api'];
  readonly event: BotEvent;
  readonly platform: P;
  readonly kind: EventKind;
  /** The platform's own payload. */
  readonly update: unknown;
  readonly chat: ChatInfo | undefined;
  readonly from: UserInfo | undefined;
  readonly text: string | undefined;
  /** Button data, chosen inline result id. */
  readonly data: string | undefined;
  readonly message: MessageKey | undefined;
  /** 1 for the first attempt, more for retries. */
  readonly attempt: number;
  readonly command: CommandMatch | undefined;
  /** Regex captures, the text after a command, or callback data after a prefix. */
  readonly match: RegexMatch | string | undefined;
  readonly conversation: Conversation;
  /** Sends to this event's chat; `quote: true` replies to its message. */
  reply(text: string, opts?: SendOptions): Promise<ActionResult>;
  /** Sends to a chat by key. */
  send(chatKey: string, text: string, opts?: SendOptions): Promise<ActionResult>;
  /** Sends a file to this event's chat (Telegram: `sendDocument`, `sendPhoto`, ...;
   * TrueConf: the upload, then `sendFile`). */
  replyWithFile(file: FileInput, opts?: SendFileOptions): Promise<ActionResult>;
  /** Answers a button press. */
  answer(text?: string, opts?: { alert?: boolean }): Promise<ActionResult>;
  /** Answers an inline query. */
  answerInline(results: unknown[], opts?: { cacheTime?: number }): Promise<ActionResult>;
  editText(text: string, opts?: SendOptions): Promise<ActionResult>;
  editKeyboard(keyboard: Button[][] | null): Promise<ActionResult>;
  delete(): Promise<ActionResult>;
  react(emoji: string | null): Promise<ActionResult>;
  typing(): Promise<ActionResult>;
  act(action: Action): Promise<ActionResult>;
}

export type Handler<P extends Platform = Platform> = (ctx: Context<P>) => unknown;
export type Middleware<P extends Platform = Platform> = (
  ctx: Context<P>,
  next: () => Promise<void> | unknown,
) => unknown;

// ---------------------------------------------------------------------------------------------
// Raw API
// ---------------------------------------------------------------------------------------------

type MethodFn<M> = M extends { params: infer A; result: infer R }
  ? {} extends A
    ? (params?: A) => Promise<R>
    : (params: A) => Promise<R>
  : never;

/** `bot.api.<method>(params)`: every method of the platform, resolving with its result,
 * rejecting with a BotwireError. */
export type Api<Methods> = { readonly [K in keyof Methods]: MethodFn<Methods[K]> } & {
  readonly [method: string]: (params?: object) => Promise<unknown>;
};

export type TelegramApi = Api<TelegramMethods>;
export type TrueConfApi = Api<TrueConfMethods>;

/** The simulated user of a bot created with `simulator: true`. Telegram users are numbers
 * (default 1001); TrueConf users are logins (default `"alice"`; also `bob`, `carol`, `dave`). */
export interface Simulator {
  userSays(text: string, opts?: { userId?: number | string; chatId?: number | string }): SimInjected;
  /** Telegram: callback data; TrueConf: a button's id, command or label. */
  pressButton(data: string, opts?: { userId?: number | string }): SimInjected;
  /** Telegram only. */
  inlineQuery(query: string, opts?: { userId?: number | string }): SimInjected;
  /** What the bot did, as the platform's simulator records it. */
  transcript(): SimTranscriptEntry[];
  /** Resolves once the transcript has `count` entries (rejects after `timeoutMs`). */
  waitFor(count: number, opts?: { timeoutMs?: number }): Promise<SimTranscriptEntry[]>;
}

/** What a simulated user action created (Telegram: `updateId`, `messageId`, `queryId`;
 * TrueConf: `chatId`, `messageId`). */
export interface SimInjected {
  updateId?: number | null;
  messageId?: number | string | null;
  queryId?: string | null;
  chatId?: string;
}

export interface SimTranscriptEntry {
  seq: number;
  at: number;
  /** Telegram: sent, edited, deleted, answered, reacted, chat_action; TrueConf: sent, file,
   * forwarded, edited, removed, activity, answered. */
  action: string;
  method: string;
  chat_id: number | string | null;
  message_id: number | string | null;
  text: string | null;
  /** Telegram: the keyboard the bot sent. */
  reply_markup?: unknown;
  /** TrueConf: the buttons the bot sent. */
  buttons?: unknown;
  payload: unknown;
  [field: string]: unknown;
}

/** What the runtime reports for logging. */
export interface Notice {
  kind: string;
  message?: string;
  [field: string]: unknown;
}

/** What `webhookHandler` uses of a fetch handler's third argument (a Cloudflare Worker's
 * `ExecutionContext`). */
export interface WaitUntilContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** Minimal shapes of Node's http request and response (no dependency on Node's types). */
export interface NodeRequestLike {
  method?: string;
  rawHeaders: string[];
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end' | 'error', listener: (...args: unknown[]) => void): unknown;
  destroy(): unknown;
}

export interface NodeResponseLike {
  readonly headersSent: boolean;
  writeHead(status: number, headers?: Record<string, string>): unknown;
  end(body?: string): unknown;
}

/** A chat bot on Telegram or TrueConf. */
export declare class Bot<P extends Platform = Platform> {
  /** Throws InvalidOptionsError for missing, misspelt or misplaced options. */
  constructor(options: OptionsByPlatform[P] & { platform: P });
  readonly platform: P;
  /** Raw calls: `await bot.api.sendMessage({ chat_id, text })`. */
  readonly api: P extends 'telegram' ? TelegramApi : P extends 'trueconf' ? TrueConfApi : Api<{}>;
  /** With `simulator: true` (simulator build only). */
  readonly simulator: Simulator | undefined;
  /** Telegram: getMe's answer, after `start()`; TrueConf: `{ userId, botId }`. */
  botInfo: unknown;

  command(names: string | string[], handler: Handler<P>): this;
  on(filter: EventFilter, handler: Handler<P>): this;
  callbackQuery(trigger: string | RegExp | { prefix: string }, handler: Handler<P>): this;
  hears(trigger: string | RegExp, handler: Handler<P>): this;
  inlineQuery(handler: Handler<P>): this;
  inlineQuery(trigger: string | RegExp, handler: Handler<P>): this;
  /** Events no other route took. */
  otherwise(handler: Handler<P>): this;
  use(middleware: Middleware<P>): this;
  catch(handler: (error: BotwireError) => unknown): this;
  onNotice(handler: (notice: Notice) => unknown): this;

  start(): Promise<void>;
  stop(): Promise<{ offset: number | null }>;
  /** Stops the bot and frees its engine and routes (a bot lives until disposed: the engine
   * holds its callbacks); later calls fail with StoppedError. Also `await using` where the
   * runtime has `Symbol.asyncDispose`. */
  dispose(): Promise<void>;
  send(chatKey: string, text: string, opts?: SendOptions): Promise<ActionResult>;
  /** Sends a file to a chat by key (see `Context.replyWithFile`). */
  sendFile(chatKey: string, file: FileInput, opts?: SendFileOptions): Promise<ActionResult>;
  act(action: Action): Promise<ActionResult>;
  exportState(): unknown;
  restoreState(state: unknown): number;
  /** Telegram: handles one Update (object, JSON text or UTF-8 bytes) without HTTP or
   * polling (`intake: 'none'` or `'webhook'`), starting the bot if needed. Resolves once
   * its handlers, and the actions they awaited, settled (failures go to `bot.catch`).
   * Rejects with UndecodableUpdateError (no readable `update_id`), StoppedError,
   * InvalidCallError (polling intake, TrueConf, a full dispatch queue). */
  handleUpdate(update: object | string | Uint8Array): Promise<void>;
  /** Telegram webhooks for fetch-handler runtimes (`Deno.serve(bot.webhookHandler())`,
   * `export default { fetch: bot.webhookHandler() }` in a Cloudflare Worker). Answers once
   * the update is accepted; given a context with `waitUntil` (a Worker's third argument), it
   * hands that the promise of the update's handling, so the runtime keeps running until the
   * handlers and the calls they awaited settled. */
  webhookHandler(): (request: Request, env?: unknown, ctx?: WaitUntilContext) => Promise<Response>;
  /** Telegram webhooks for Node's http server. */
  nodeHandler(opts?: { maxBodyBytes?: number }): (req: NodeRequestLike, res: NodeResponseLike) => void;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** Every error botwire reports; `kind` classifies it. */
export declare class BotwireError extends Error {
  /** `"unauthorized"`, `"retry_after"`, `"network"`, `"dead_letter"`, `"invalid_options"`, ... */
  kind: string;
  method?: string;
  /** Telegram's `error_code`, TrueConf's `errorCode`. */
  code?: number;
  description?: string;
  parameters?: unknown;
  /** Seconds to wait (429). */
  retryAfter?: number;
  /** The supergroup that replaced a group. */
  migrateToChatId?: number;
  /** Network errors: `"connect"`, `"timeout"`, `"io"`, `"aborted"`, `"disconnected"`, `"http"`. */
  reason?: string;
  status?: number;
  retryable?: boolean;
  attempts?: number;
  event?: BotEvent;
  timeoutMs?: number;
  /** UndecodableUpdateError: the update's id and kind (`"callback_query"`, ...). */
  updateId?: number;
  updateKind?: string;
}
export declare class InvalidOptionsError extends BotwireError {}
export declare class InvalidCallError extends BotwireError {}
export declare class ApiError extends BotwireError {}
export declare class UnauthorizedError extends ApiError {}
export declare class ForbiddenError extends ApiError {}
export declare class TooManyRequestsError extends ApiError {}
export declare class ChatMigratedError extends ApiError {}
export declare class ConflictError extends ApiError {}
export declare class NetworkError extends BotwireError {}
export declare class HandlerError extends BotwireError {
  /** What the handler threw. */
  error: unknown;
  ctx: Context | undefined;
}
export declare class HandlerTimeoutError extends BotwireError {}
export declare class DeadLetterError extends BotwireError {}
export declare class StoppedError extends BotwireError {}
/** A Telegram update that cannot be decoded: `bot.handleUpdate` rejects with it when the
 * update has no readable `update_id`; with one, it goes to `bot.catch` (`updateId`,
 * `updateKind`, `reason`) and the update is dispatched as an `unknown` event. */
export declare class UndecodableUpdateError extends BotwireError {}
