// The errors of the package: every failure is a BotwireError subclass carrying the
// classified kind and the platform's details (retryAfter, migrateToChatId, code, ...).

const DETAIL_FIELDS = [
  'kind',
  'method',
  'code',
  'description',
  'parameters',
  'retryAfter',
  'migrateToChatId',
  'reason',
  'status',
  'retryable',
  'attempts',
  'event',
  'timeoutMs',
  'updateId',
  'updateKind',
];

/** The base class of every error botwire reports. */
export class BotwireError extends Error {
  constructor(message, details = {}, options = undefined) {
    super(message, options);
    this.name = new.target.name;
    this.kind = 'unknown';
    for (const field of DETAIL_FIELDS) {
      if (details[field] !== undefined && details[field] !== null) this[field] = details[field];
    }
  }
}

/** The options of `new Bot(...)` or of a call are missing, misspelt or out of range. */
export class InvalidOptionsError extends BotwireError {
  constructor(message, details = {}) {
    super(message, { kind: 'invalid_options', ...details });
  }
}

/** A call that cannot be made: unknown method, arguments that do not fit, an action the
 * platform does not support, a full send queue. Nothing was sent. */
export class InvalidCallError extends BotwireError {}

/** The platform answered with an error. `code` is Telegram's `error_code` or TrueConf's
 * `errorCode`; `description` the platform's text. */
export class ApiError extends BotwireError {}

/** The token or credentials are wrong (Telegram 401/404 on the token, TrueConf auth). */
export class UnauthorizedError extends ApiError {}

/** 403: the bot was blocked, kicked, or lacks rights. */
export class ForbiddenError extends ApiError {}

/** 429: flood control; `retryAfter` seconds. (Sends are retried by the runtime; this
 * reaches you only from calls that gave up.) */
export class TooManyRequestsError extends ApiError {}

/** The group became a supergroup: repeat with `migrateToChatId`. */
export class ChatMigratedError extends ApiError {}

/** 409: another instance polls, or a webhook is set. */
export class ConflictError extends ApiError {}

/** No answer: connection refused, timeout, connection lost, or an answer that is not the
 * platform's (`reason`: "connect", "timeout", "io", "aborted", "disconnected", "http"). */
export class NetworkError extends BotwireError {}

/** A handler threw or rejected; `error` is what it threw, `ctx` its context. The event is
 * retried, then reported as a DeadLetterError. */
export class HandlerError extends BotwireError {
  constructor(error, ctx) {
    const message = error instanceof Error ? error.message : String(error);
    super(`handler failed: ${message}`, { kind: 'handler' }, { cause: error });
    this.error = error;
    this.ctx = ctx;
  }
}

/** A handler did not settle within the handler timeout (`timeoutMs`); the event is retried. */
export class HandlerTimeoutError extends BotwireError {}

/** An event failed every attempt (`attempts`, `reason`); `event` is the event. */
export class DeadLetterError extends BotwireError {}

/** A Telegram update the package cannot decode. Given to `bot.handleUpdate` without a
 * readable `update_id` (or refused: too large), the call rejects with it and nothing is
 * dispatched. With an `update_id` but a payload that does not fit the Bot API model (a
 * callback query without `chat_instance`, ...) or a kind this version does not know, from
 * any intake, it goes to `bot.catch` naming `updateId` and `updateKind` (`reason`:
 * "invalid", "unknown_kind" or "empty"), and the update is still dispatched as an
 * `unknown` event. */
export class UndecodableUpdateError extends BotwireError {}

/** The bot or session stopped (for good, after a permanent failure, or before it started). */
export class StoppedError extends BotwireError {}

const API_KINDS = {
  unauthorized: UnauthorizedError,
  not_found: ApiError,
  forbidden: ForbiddenError,
  retry_after: TooManyRequestsError,
  migrate_to_chat: ChatMigratedError,
  conflict: ConflictError,
  bad_request: ApiError,
  too_large: ApiError,
  server: ApiError,
  api: ApiError,
  invalid_response: ApiError,
  trueconf: ApiError,
};

/** The error for a failure description `{ kind, message, ... }` from the engine. */
export function errorFromInfo(info) {
  if (info instanceof Error) return info;
  if (info === null || typeof info !== 'object') return new BotwireError(String(info));
  const details = {
    kind: info.kind,
    method: info.method,
    code: info.error_code,
    description: info.description,
    parameters: info.parameters,
    retryAfter: info.retry_after,
    migrateToChatId: info.migrate_to_chat_id,
    reason: info.reason,
    status: info.status,
    retryable: info.retryable,
    attempts: info.attempts,
    event: info.event,
    timeoutMs: info.timeoutMs,
    updateId: info.updateId,
    updateKind: info.updateKind,
  };
  let message = info.message ?? info.kind;
  if (info.method && !String(message).includes(info.method)) message = `${info.method}: ${message}`;
  let Class;
  switch (info.kind) {
    case 'network':
      Class = NetworkError;
      break;
    case 'transport':
      Class = NetworkError;
      details.reason = 'http';
      break;
    case 'invalid_call':
    case 'queue_full':
      Class = InvalidCallError;
      break;
    case 'dead_letter':
      Class = DeadLetterError;
      break;
    case 'handler_timeout':
      Class = HandlerTimeoutError;
      break;
    case 'undecodable_update':
      Class = UndecodableUpdateError;
      break;
    case 'stopped':
      Class = StoppedError;
      break;
    case 'invalid_options':
      Class = InvalidOptionsError;
      break;
    default:
      Class = API_KINDS[info.kind] ?? BotwireError;
  }
  const error = Class === InvalidOptionsError ? new Class(message) : new Class(message, details);
  return error;
}
