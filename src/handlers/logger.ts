/** Structured fields of a log entry: names and short values, never a body, header value, secret or token. */
export type LogFields = Record<string, unknown>;

/** One level of a `HandlerLogger`: fields first, then the message, as pino takes them. */
export type LogMethod = (fields: LogFields, message: string) => void;

/**
 * Where the handlers and their adapters report what happens: unexpected failures (a 500) at `error`,
 * with the request id when the request carried one. The call shape is pino's (`logger.error(fields,
 * message)`), so a pino logger can be passed as it is (`logger: pino()`); other loggers (winston,
 * bunyan, console) need a four-line wrapper. Nothing logged holds a body, a header value other than
 * the request id, a secret, token, code or hash.
 */
export interface HandlerLogger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

/**
 * The logger of earlier versions: `error(message, meta)` only. Still accepted, and called that way.
 * @deprecated Pass a `HandlerLogger` (or a pino logger), which receives every level.
 */
export interface ErrorOnlyLogger {
  error(message: string, meta: LogFields): void;
}

/** What `HandlersOptions.logger` takes. */
export type HandlerLoggerOption = HandlerLogger | ErrorOnlyLogger;

/** The default: every level to the console, message first so that a terminal reads it first. */
export const CONSOLE_LOGGER: HandlerLogger = Object.freeze({
  error: (fields: LogFields, message: string) => console.error(message, fields),
  warn: (fields: LogFields, message: string) => console.warn(message, fields),
  info: (fields: LogFields, message: string) => console.info(message, fields),
  debug: (fields: LogFields, message: string) => console.debug(message, fields),
});

const NOTHING: LogMethod = () => undefined;

/**
 * The logger option as a `HandlerLogger`: the console when absent; a logger with only `error` (the
 * earlier shape) is called `error(message, fields)` as before, and hears nothing of the other levels.
 */
export function toHandlerLogger(option: HandlerLoggerOption | undefined): HandlerLogger {
  if (option === undefined) return CONSOLE_LOGGER;
  if (hasEveryLevel(option)) return option;
  const legacy = option as ErrorOnlyLogger;
  return {
    error: (fields, message) => legacy.error(message, fields),
    warn: NOTHING,
    info: NOTHING,
    debug: NOTHING,
  };
}

function hasEveryLevel(option: HandlerLoggerOption): option is HandlerLogger {
  const levels = option as Partial<HandlerLogger>;
  return [levels.warn, levels.info, levels.debug].every((method) => typeof method === 'function');
}

/** The request header that carries a request id, set by a proxy or the client, echoed in answers. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Longest request id taken from a request: Heroku's ids go up to 200 characters. */
export const MAX_REQUEST_ID_LENGTH = 200;

/**
 * Letters, digits and the few symbols ids use (UUIDs, ULIDs, base64, `Root=1-…` trace ids). No space,
 * quote, comma or control character: the id is written into log lines and a response header, and a
 * client must not be able to forge a second log field or header with it.
 */
const REQUEST_ID = /^[A-Za-z0-9._~:@+=/-]+$/;

/**
 * A request id as given (the value of `X-Request-Id`, see `headerValue`) when it can be used as it is:
 * 1–200 characters of the set above. Otherwise undefined, and the caller may generate one.
 */
export function usableRequestId(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return value.length > 0 && value.length <= MAX_REQUEST_ID_LENGTH && REQUEST_ID.test(value) ? value : undefined;
}
