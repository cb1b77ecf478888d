import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, serverOptionsFromEnv } from '../../examples/server-config';
import { expectData, expectError, PASSWORD, uniqueEmail } from '../e2e/contract/target';
import { fetchReply, type ServerProcess, spawnServer } from '../e2e/server-process';

/** One sample line of the text exposition: `name{label="value",…} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** What a scrape says: the `# TYPE` and `# HELP` of each metric family, and every sample. */
interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

/**
 * Parses the Prometheus text format (version 0.0.4) as a scraper would, failing on any line it does
 * not understand, so a malformed exposition fails the test instead of passing unread.
 */
function parseExposition(text: string): Exposition {
  const exposition: Exposition = { types: new Map(), help: new Map(), samples: [] };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      exposition[comment[1] === 'HELP' ? 'help' : 'types'].set(comment[2], comment[3]);
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`not an exposition line: ${line}`);
    exposition.samples.push({ name: sample[1], labels: parseLabels(sample[2] ?? '', line), value: Number(sample[3]) });
  }
  return exposition;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const at = LABEL.lastIndex;
    const label = LABEL.exec(text);
    if (!label || label.index !== at) throw new Error(`bad labels in: ${line}`);
    labels[label[1]] = label[2].replace(/\\(.)/g, (_escape, char: string) => (char === 'n' ? '\n' : char));
  }
  return labels;
}

/** The samples named `name` whose labels include `labels`. */
function samplesOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exposition.samples.filter(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
  );
}

/** The value of the one sample named `name` with exactly these labels (besides `le`). */
function sampleValue(exposition: Exposition, name: string, labels: Record<string, string>): number | undefined {
  const found = samplesOf(exposition, name, labels).filter(
    (sample) => Object.keys(sample.labels).filter((label) => label !== 'le').length === Object.keys(labels).length,
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

const TOKEN = 'metrics-scrape-token-for-the-test';
// Cost 4 keeps the run fast; the default (10) is what `npm start` uses.
const BASE_ENV = { ACCOUNTS_DEV_OUTBOX: 'outbox.jsonl', ACCOUNTS_BCRYPT_COST: '4' };

describe('the example server with ACCOUNTS_METRICS=1', () => {
  const directory = mkdtempSync(join(tmpdir(), 'accounts-metrics-'));
  let server: ServerProcess;
  const email = uniqueEmail('metrics');

  beforeAll(async () => {
    server = await spawnServer({
      cwd: directory,
      env: { ...BASE_ENV, ACCOUNTS_METRICS: '1', ACCOUNTS_METRICS_TOKEN: TOKEN },
    });
  }, 60_000);

  afterAll(() => {
    server?.kill();
    rmSync(directory, { recursive: true, force: true });
  });

  const send = (method: string, path: string, options?: Parameters<typeof fetchReply>[3]) =>
    fetchReply(server.url, method, path, options);
  const scrape = (headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(`${server.url}/metrics`, { headers });

  it('counts a failed and a successful password login, the 404 of an unknown path, and their durations', async () => {
    expectData(await send('POST', '/users', { json: { name: 'Metrics', email, password: PASSWORD } }), 201);
    expectError(
      await send('POST', '/authn/password', { json: { email, password: 'wrong password!' } }),
      401,
      'INVALID_CREDENTIALS',
    );
    expectData(await send('POST', '/authn/password', { json: { email, password: PASSWORD } }));
    expect((await send('GET', '/no/such/usr_123')).status).toBe(404);

    const answer = await scrape();
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await answer.text();
    const metrics = parseExposition(text);

    expect(metrics.types.get('accounts_logins_total')).toBe('counter');
    expect(metrics.help.get('accounts_logins_total')).toMatch(/Logins by method/);
    expect(
      sampleValue(metrics, 'accounts_logins_total', { method: 'password', outcome: 'succeeded', reason: 'none' }),
    ).toBe(1);
    expect(
      sampleValue(metrics, 'accounts_logins_total', {
        method: 'password',
        outcome: 'failed',
        reason: 'invalid_credentials',
      }),
    ).toBe(1);
    expect(sampleValue(metrics, 'accounts_events_total', { type: 'user.registered' })).toBe(1);
    expect(sampleValue(metrics, 'accounts_emails_sent_total', { kind: 'verify-email' })).toBe(1);

    const histogram = 'accounts_http_request_duration_seconds';
    expect(metrics.types.get(histogram)).toBe('histogram');
    for (const status of ['200', '401']) {
      const labels = { method: 'POST', route: '/authn/password', status };
      expect(sampleValue(metrics, `${histogram}_count`, labels)).toBe(1);
      expect(sampleValue(metrics, `${histogram}_sum`, labels)).toBeGreaterThan(0);
      const buckets = samplesOf(metrics, `${histogram}_bucket`, labels);
      expect(buckets.map((bucket) => bucket.labels.le)).toEqual([
        ...['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10'],
        '+Inf',
      ]);
      // Cumulative buckets: never decreasing, and the last (+Inf) holds every request.
      const counts = buckets.map((bucket) => bucket.value);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(counts.at(-1)).toBe(1);
    }
    expect(sampleValue(metrics, `${histogram}_count`, { method: 'POST', route: '/users', status: '201' })).toBe(1);
    expect(sampleValue(metrics, `${histogram}_count`, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);

    // prom-client's process metrics come along; no address, id or raw path does.
    expect(metrics.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(text).not.toContain(email);
    expect(text).not.toMatch(/usr_|no\/such|127\.0\.0\.1/);
  });

  it('refuses a scrape without the bearer token of ACCOUNTS_METRICS_TOKEN, showing no metric', async () => {
    const wrongHeaders: Record<string, string>[] = [
      {},
      { authorization: 'Bearer not-the-token' },
      { authorization: TOKEN },
    ];
    for (const headers of wrongHeaders) {
      const refused = await scrape(headers);
      expect(refused.status).toBe(401);
      const body = await refused.text();
      expect(JSON.parse(body)).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
      expect(body).not.toContain('accounts_');
    }
  });

  it('answers other methods on /metrics with the 405 envelope', async () => {
    const reply = await send('POST', '/metrics', { json: {}, headers: { authorization: `Bearer ${TOKEN}` } });
    expectError(reply, 405, 'METHOD_NOT_ALLOWED');
    expect(reply.headers.allow).toBe('GET, HEAD');
  });
});

describe('the example server without ACCOUNTS_METRICS', () => {
  const directory = mkdtempSync(join(tmpdir(), 'accounts-no-metrics-'));
  let server: ServerProcess;

  beforeAll(async () => {
    server = await spawnServer({ cwd: directory, env: BASE_ENV });
  }, 60_000);

  afterAll(() => {
    server?.kill();
    rmSync(directory, { recursive: true, force: true });
  });

  it('has no /metrics route: 404, like any unknown path', async () => {
    expectError(await fetchReply(server.url, 'GET', '/metrics'), 404, 'NOT_FOUND');
  });
});

describe('ACCOUNTS_METRICS', () => {
  it.each([
    ['1', true],
    ['true', true],
    ['0', false],
    ['FALSE', false],
    ['', undefined],
  ])('%p turns /metrics %p', (value, metrics) => {
    expect(serverOptionsFromEnv({ ACCOUNTS_METRICS: value }).metrics).toBe(metrics);
  });

  it('refuses anything else, naming the variable and the accepted values', () => {
    expect(() => serverOptionsFromEnv({ ACCOUNTS_METRICS: 'yes' })).toThrow(
      expect.objectContaining({ variable: 'ACCOUNTS_METRICS', message: expect.stringMatching(/use 1 .* or 0/) }),
    );
    expect(() => serverOptionsFromEnv({ ACCOUNTS_METRICS: 'on' })).toThrow(ConfigError);
  });
});
