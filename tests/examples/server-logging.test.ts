import type { IncomingMessage } from 'node:http';
import { createServerLogger, requestIdFor, routePatternOf } from '../../examples/server-logging';
import { createHandlers, Router } from '../../src/handlers';
import {
  type ErrorOnlyLogger,
  type HandlerLogger,
  type LogFields,
  toHandlerLogger,
  usableRequestId,
} from '../../src/handlers/logger';
import { call, expectError } from '../handlers/helpers';
import { stubAccounts } from '../handlers/stub-accounts';

/** A pino logger as the example server builds it, writing into an array of parsed entries. */
function capturedPino(level: 'info' | 'debug' = 'info') {
  const entries: Record<string, unknown>[] = [];
  const logger = createServerLogger({ level, destination: { write: (line) => entries.push(JSON.parse(line)) } });
  return { logger, entries };
}

const failingRegistration = () =>
  stubAccounts({
    users: {
      register: async () => {
        throw new Error('connection lost');
      },
    },
  }).accounts;

describe('the handlers with a pino logger passed as it is', () => {
  it('report a 500 at error with the request id, the error name and message, and nothing of the request', async () => {
    const { logger, entries } = capturedPino();
    const handlers = createHandlers(failingRegistration(), { logger });
    const response = await call(handlers, 'POST', '/users', {
      json: { name: 'Ada', email: 'ada@example.com', password: 'hunter2-hunter2' },
      headers: { 'x-request-id': 'req-7' },
    });
    expectError(response, 500, 'INTERNAL');
    expect(entries).toEqual([
      expect.objectContaining({
        level: 'error',
        time: expect.any(String),
        msg: 'accounts-module: POST /users failed',
        requestId: 'req-7',
        errorName: 'Error',
        errorMessage: 'connection lost',
      }),
    ]);
    expect(JSON.stringify(entries)).not.toMatch(/hunter2|ada@example\.com|jest/);
  });

  it('leave out a request id that is not usable, rather than log what the client wrote', async () => {
    const { logger, entries } = capturedPino();
    await call(createHandlers(failingRegistration(), { logger }), 'POST', '/users', {
      headers: { 'x-request-id': 'forged" level="info' },
    });
    expect(entries).toHaveLength(1);
    expect(entries[0]).not.toHaveProperty('requestId');
    expect(JSON.stringify(entries)).not.toContain('forged');
  });

  it('give adapters every level of the logger they were given', () => {
    const { logger, entries } = capturedPino('debug');
    const handlers = createHandlers(stubAccounts().accounts, { logger });
    handlers.logger.warn({ adapter: 'test' }, 'a warning');
    handlers.logger.debug({ adapter: 'test' }, 'a detail');
    expect(entries.map((entry) => [entry.level, entry.msg, entry.adapter])).toEqual([
      ['warn', 'a warning', 'test'],
      ['debug', 'a detail', 'test'],
    ]);
  });
});

describe('toHandlerLogger', () => {
  it('calls a four-level logger fields first', () => {
    const calls: [string, LogFields, string][] = [];
    const record =
      (level: string) =>
      (fields: LogFields, message: string): void => {
        calls.push([level, fields, message]);
      };
    const logger: HandlerLogger = {
      error: record('error'),
      warn: record('warn'),
      info: record('info'),
      debug: record('debug'),
    };
    toHandlerLogger(logger).info({ a: 1 }, 'hello');
    expect(calls).toEqual([['info', { a: 1 }, 'hello']]);
  });

  it('calls an error-only logger of earlier versions message first, and drops the other levels', () => {
    const calls: unknown[][] = [];
    // Typed as the earlier `HandlerLogger` was: a union gives its lambda no contextual parameter types.
    const legacy: ErrorOnlyLogger = { error: (message, meta) => calls.push([message, meta]) };
    const adapted = toHandlerLogger(legacy);
    adapted.error({ errorName: 'Error' }, 'failed');
    adapted.warn({}, 'not heard');
    expect(calls).toEqual([['failed', { errorName: 'Error' }]]);
  });
});

describe('request ids', () => {
  it.each([
    ['a UUID', '0b6a3c4e-9f1d-4c1e-8a55-3b2f6c7d8e9f', true],
    ['a trace id', 'Root=1-67891233-abcdef012345678912345678', true],
    ['base64', 'q+/aZ9==', true],
    ['200 characters', 'x'.repeat(200), true],
    ['201 characters', 'x'.repeat(201), false],
    ['a space', 'a b', false],
    ['a quote', 'a"b', false],
    ['a comma (a repeated header)', 'a, b', false],
    ['a newline', 'a\nb', false],
    ['non-ASCII', 'idé', false],
    ['empty', '', false],
  ])('%s is usable: %p', (_, value, usable) => {
    expect(usableRequestId(value)).toBe(usable ? value : undefined);
  });

  it('are taken from the request when usable, else generated', () => {
    const request = (id?: string) => ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as IncomingMessage;
    expect(requestIdFor(request('abc-1'))).toBe('abc-1');
    expect(requestIdFor(request('a b'))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(requestIdFor(request())).not.toBe(requestIdFor(request()));
  });
});

describe('routePatternOf', () => {
  const router = new Router(createHandlers(stubAccounts().accounts).routes);

  it('gives the pattern a path matched, never the path with its ids', () => {
    expect(routePatternOf(router, 'GET', '/users/usr_123/sessions')).toBe('/users/:id/sessions');
    expect(routePatternOf(router, 'delete', '/memberships/mem_9')).toBe('/memberships/:id');
    expect(routePatternOf(router, 'GET', '/healthz')).toBe('/healthz');
  });

  it('gives null for an unknown path, a wrong method or a bad escape', () => {
    expect(routePatternOf(router, 'GET', '/nowhere/usr_1')).toBeNull();
    expect(routePatternOf(router, 'PUT', '/users/usr_1')).toBeNull();
    expect(routePatternOf(router, 'GET', '/users/%E0%A4%A')).toBeNull();
  });
});
