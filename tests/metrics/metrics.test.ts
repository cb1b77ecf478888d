import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ok } from 'ts-results';
import { RecordingEmailer } from '../../src/adapters/lib';
import { fail } from '../../src/domain/errors';
import { createHandlers } from '../../src/handlers';
import type { HandlerLogger, RequestFinishedInfo } from '../../src/handlers/types';
import { AccountsMetrics } from '../../src/metrics';
import type { AccountsEvent } from '../../src/ports/events';
import { call, expectError } from '../handlers/helpers';
import { GOOD_TOKEN, stubAccounts } from '../handlers/stub-accounts';

const at = new Date('2026-01-01T00:00:00Z');

/** A logger of every level that records nothing but the calls. */
function silentLogger(): HandlerLogger & { error: jest.Mock } {
  return { error: jest.fn(), warn: jest.fn(), info: jest.fn(), debug: jest.fn() };
}

/** The series of one metric in the registry, as `{ labels, value }` pairs (prom-client's own view). */
async function seriesOf(metrics: AccountsMetrics, name: string) {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  // Histograms name each value (`_bucket`, `_sum`, `_count`); prom-client's type leaves the name out.
  const values = (await metric.get()).values as {
    labels: Record<string, unknown>;
    value: number;
    metricName?: string;
  }[];
  return values.map(({ labels, value, metricName }) => ({ metricName, labels, value }));
}

/** Handlers over a stub whose password logins are rate limited and whose user reads succeed. */
function handlersReportingTo(onRequestFinished: (info: RequestFinishedInfo) => void) {
  const { accounts } = stubAccounts({
    sessions: {
      loginWithPassword: async () => fail('RATE_LIMITED', { retryAfterSeconds: 30 }),
    },
    users: { get: async () => Ok({ id: 'usr_1', name: 'Ada' }) },
  });
  return createHandlers(accounts, { onRequestFinished, logger: silentLogger() });
}

describe('AccountsMetrics.onEvent', () => {
  it('counts logins by method and outcome, with the failure reason', async () => {
    const metrics = new AccountsMetrics();
    const events: AccountsEvent[] = [
      { type: 'login.succeeded', at, userId: 'usr_1', sessionId: 'ses_1', method: 'password', ip: '203.0.113.7' },
      { type: 'login.succeeded', at, userId: 'usr_1', sessionId: 'ses_2', method: 'password', ip: null },
      { type: 'login.succeeded', at, userId: 'usr_2', sessionId: 'ses_3', method: 'code', ip: null },
      {
        type: 'login.failed',
        at,
        method: 'password',
        reason: 'invalid_credentials',
        email: 'ada@example.com',
        ip: '203.0.113.7',
      },
      { type: 'login.failed', at, method: 'mfa', reason: 'invalid_mfa_code', email: null, ip: null },
    ];
    for (const event of events) metrics.onEvent(event);

    expect(await seriesOf(metrics, 'accounts_logins_total')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { method: 'password', outcome: 'succeeded', reason: 'none' }, value: 2 }),
        expect.objectContaining({ labels: { method: 'code', outcome: 'succeeded', reason: 'none' }, value: 1 }),
        expect.objectContaining({
          labels: { method: 'password', outcome: 'failed', reason: 'invalid_credentials' },
          value: 1,
        }),
        expect.objectContaining({ labels: { method: 'mfa', outcome: 'failed', reason: 'invalid_mfa_code' }, value: 1 }),
      ]),
    );
    expect(await seriesOf(metrics, 'accounts_logins_total')).toHaveLength(4);
  });

  it('counts refresh token reuses, delivery failures by purpose and every event by type', async () => {
    const metrics = new AccountsMetrics();
    metrics.onEvent({ type: 'refresh_token.reused', at, userId: 'usr_1', sessionId: 'ses_1' });
    metrics.onEvent({ type: 'email.delivery_failed', at, address: 'ada@example.com', purpose: 'login' });
    metrics.onEvent({ type: 'email.delivery_failed', at, address: 'bob@example.com', purpose: 'invitation' });
    metrics.onEvent({ type: 'user.registered', at, userId: 'usr_1' });

    expect(await seriesOf(metrics, 'accounts_refresh_token_reuses_total')).toEqual([
      expect.objectContaining({ labels: {}, value: 1 }),
    ]);
    expect(await seriesOf(metrics, 'accounts_email_delivery_failures_total')).toEqual([
      expect.objectContaining({ labels: { purpose: 'login' }, value: 1 }),
      expect.objectContaining({ labels: { purpose: 'invitation' }, value: 1 }),
    ]);
    expect(await seriesOf(metrics, 'accounts_events_total')).toEqual([
      expect.objectContaining({ labels: { type: 'refresh_token.reused' }, value: 1 }),
      expect.objectContaining({ labels: { type: 'email.delivery_failed' }, value: 2 }),
      expect.objectContaining({ labels: { type: 'user.registered' }, value: 1 }),
    ]);
  });

  it('never puts an id, address or IP of an event into the exposition', async () => {
    const metrics = new AccountsMetrics();
    metrics.onEvent({
      type: 'login.failed',
      at,
      method: 'password',
      reason: 'invalid_credentials',
      email: 'ada@example.com',
      ip: '203.0.113.7',
    });
    metrics.onEvent({ type: 'refresh_token.reused', at, userId: 'usr_secret', sessionId: 'ses_secret' });
    const text = await metrics.registry.metrics();
    expect(text).not.toMatch(/ada@example\.com|203\.0\.113\.7|usr_secret|ses_secret/);
  });
});

describe('AccountsMetrics.countingEmailer', () => {
  it('counts the emails the wrapped emailer sent, by kind, and passes them on unchanged', async () => {
    const metrics = new AccountsMetrics();
    const inner = new RecordingEmailer();
    const emailer = metrics.countingEmailer(inner);
    const message = { to: 'ada@example.com', subject: 'Code', text: '123456', kind: 'login' as const, code: '123456' };
    await emailer.send(message);
    await emailer.send({ ...message, kind: 'verify-email' });
    await emailer.send(message);
    expect(inner.sent).toEqual([message, { ...message, kind: 'verify-email' }, message]);
    expect(await seriesOf(metrics, 'accounts_emails_sent_total')).toEqual([
      expect.objectContaining({ labels: { kind: 'login' }, value: 2 }),
      expect.objectContaining({ labels: { kind: 'verify-email' }, value: 1 }),
    ]);
  });

  it('counts nothing for an email that failed, and rejects as the emailer did', async () => {
    const metrics = new AccountsMetrics();
    const emailer = metrics.countingEmailer({ send: async () => Promise.reject(new Error('smtp down')) });
    await expect(
      emailer.send({ to: 'a@example.com', subject: 's', text: 't', kind: 'login', code: '1' }),
    ).rejects.toThrow('smtp down');
    expect(await seriesOf(metrics, 'accounts_emails_sent_total')).toEqual([]);
  });
});

describe('the handlers’ onRequestFinished hook', () => {
  it('reports the route pattern, never the path, with the method and status, once per request', async () => {
    const reports: RequestFinishedInfo[] = [];
    const handlers = handlersReportingTo((info) => reports.push(info));
    await call(handlers, 'GET', '/users/usr_1', { token: GOOD_TOKEN });
    await call(handlers, 'post', '/authn/password', { json: { email: 'ada@example.com', password: 'x' } });
    await call(handlers, 'GET', '/wp-admin/setup.php');
    await call(handlers, 'PUT', '/users/usr_1');
    await call(handlers, 'GET', '/users/usr_1', { token: 'forged' });
    expect(reports.map(({ method, route, status }) => ({ method, route, status }))).toEqual([
      { method: 'GET', route: '/users/:id', status: 200 },
      { method: 'POST', route: '/authn/password', status: 429 },
      { method: 'GET', route: null, status: 404 },
      { method: 'PUT', route: null, status: 405 },
      { method: 'GET', route: '/users/:id', status: 401 },
    ]);
    for (const report of reports) expect(report.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('feeds the duration histogram by route pattern and status, and counts 429s by route', async () => {
    const metrics = new AccountsMetrics();
    const handlers = handlersReportingTo(metrics.onRequestFinished);
    await call(handlers, 'GET', '/users/usr_1', { token: GOOD_TOKEN });
    await call(handlers, 'GET', '/users/usr_2', { token: GOOD_TOKEN });
    await call(handlers, 'POST', '/authn/password', { json: { email: 'ada@example.com', password: 'x' } });
    await call(handlers, 'GET', '/.env');
    await call(handlers, 'GET', '/.git/config');

    const counts = (await seriesOf(metrics, 'accounts_http_request_duration_seconds'))
      .filter(({ metricName }) => metricName === 'accounts_http_request_duration_seconds_count')
      .map(({ labels, value }) => ({ ...labels, value }));
    expect(counts).toEqual([
      { method: 'GET', route: '/users/:id', status: '200', value: 2 },
      { method: 'POST', route: '/authn/password', status: '429', value: 1 },
      { method: 'GET', route: 'unmatched', status: '404', value: 2 },
    ]);
    expect(await seriesOf(metrics, 'accounts_rate_limited_total')).toEqual([
      expect.objectContaining({ labels: { method: 'POST', route: '/authn/password' }, value: 1 }),
    ]);
    expect(await metrics.registry.metrics()).not.toMatch(/usr_1|usr_2|\.env|\.git/);
  });

  it('labels a method outside the usual ones OTHER, so invented methods make no new series', () => {
    const metrics = new AccountsMetrics();
    metrics.onRequestFinished({ method: 'BREW', route: null, status: 404, durationMs: 1 });
    metrics.onRequestFinished({ method: 'XYZZY', route: null, status: 404, durationMs: 1 });
    const histogram = metrics.registry.getSingleMetric('accounts_http_request_duration_seconds');
    return expect(histogram?.get()).resolves.toMatchObject({
      values: expect.arrayContaining([
        expect.objectContaining({
          metricName: 'accounts_http_request_duration_seconds_count',
          labels: { method: 'OTHER', route: 'unmatched', status: '404' },
          value: 2,
        }),
      ]),
    });
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('hook broke');
      },
    ],
    ['rejects', async () => Promise.reject(new Error('hook broke'))],
  ])('changes no response when it %s, and is logged once', async (_how, hook) => {
    const reference = handlersReportingTo(() => undefined);
    const logger = silentLogger();
    const { accounts } = stubAccounts({
      sessions: { loginWithPassword: async () => fail('RATE_LIMITED', { retryAfterSeconds: 30 }) },
      users: { get: async () => Ok({ id: 'usr_1', name: 'Ada' }) },
    });
    const broken = createHandlers(accounts, { onRequestFinished: hook, logger });
    const requests: [string, string, Parameters<typeof call>[3]][] = [
      ['GET', '/users/usr_1', { token: GOOD_TOKEN }],
      ['POST', '/authn/password', { json: { email: 'ada@example.com', password: 'x' } }],
      ['GET', '/nowhere', {}],
    ];
    for (const [method, path, options] of requests) {
      expect(await call(broken, method, path, options)).toEqual(await call(reference, method, path, options));
    }
    expectError(await call(broken, 'GET', '/nowhere'), 404, 'NOT_FOUND');
    await new Promise((resolve) => setImmediate(resolve));
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0][0]).toEqual({ errorName: 'Error' });
  });

  it('leaves dispatch as the router’s own without a hook', () => {
    const { accounts } = stubAccounts();
    const handlers = createHandlers(accounts);
    expect(handlers.dispatch.name).toBe('dispatch');
  });
});

describe('AccountsMetrics registries', () => {
  it('uses a registry of its own by default, so two instances never collide', () => {
    const first = new AccountsMetrics();
    const second = new AccountsMetrics();
    expect(first.registry).not.toBe(second.registry);
  });

  it('registers into a registry it is given, and adds the default process metrics on request', async () => {
    const { Registry } = await import('prom-client');
    const registry = new Registry();
    const metrics = new AccountsMetrics({ registry, defaultMetrics: true });
    expect(metrics.registry).toBe(registry);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE accounts_logins_total counter');
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
  });
});

describe('prom-client as an optional peer', () => {
  const SRC = join(__dirname, '..', '..', 'src');
  const sourceFiles = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return entry.name.endsWith('.ts') ? [path] : [];
    });

  it('is imported by src/metrics alone, which nothing else imports, so the main entry point never loads it', () => {
    const outside = sourceFiles(SRC).filter((file) => !relative(SRC, file).startsWith('metrics'));
    const offending = outside.filter((file) =>
      /from\s+['"](prom-client|[./]+metrics)['"/]/.test(readFileSync(file, 'utf8')),
    );
    expect(offending.map((file) => relative(SRC, file))).toEqual([]);
  });
});
