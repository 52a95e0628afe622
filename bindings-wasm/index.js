// botwire: chat bots for Telegram and TrueConf on a sans-IO Rust runtime compiled to
// WebAssembly. Works in browsers, Node >= 20 and fetch-handler runtimes.

import './js/host.js';
import { version as engineVersion } from './pkg/botwire_wasm.js';

export { Bot } from './js/bot.js';
export { Context, Conversation } from './js/context.js';
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
} from './js/errors.js';

/** The package's version. */
export const version = engineVersion();
