// Everything the package exports, for its two entries: index.js (Node, browsers, Deno, Bun)
// and worker.js (Cloudflare's workerd), which differ only in how they load the module.

export { Bot } from './bot.js';
export { Context, Conversation } from './context.js';
export {
  BotwireError,
  InvalidOptionsError,
  InvalidCallError,
  ApiError,
  UnauthorizedError,
  ForbiddenError,
  TooManyRequestsError,
  ChatMigratedError,
  ConflictError,
  NetworkError,
  HandlerError,
  HandlerTimeoutError,
  DeadLetterError,
  StoppedError,
  UndecodableUpdateError,
} from './errors.js';
