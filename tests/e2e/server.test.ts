import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeContract } from './contract';
import { expectData, expectError, PASSWORD, uniqueEmail } from './contract/target';
import {
  fetchReply,
  httpTarget,
  logEntries,
  logEntry,
  outboxCode,
  runCli,
  type ServerProcess,
  spawnServer,
} from './server-process';

/**
 * The example server as a newcomer runs it: a fresh directory, no configuration (SQLite and a
 * generated key under ./data), started as `tsx examples/server.ts` and spoken to with `fetch`. The
 * first sysadmin and a system client come from the `bootstrap` CLI command, run beforehand.
 */
const directory = mkdtempSync(join(tmpdir(), 'accounts-e2e-'));
const outbox = join(directory, 'outbox.jsonl');
const sysadmin = { email: 'root@example.com', password: PASSWORD };
// Cost 4 keeps the run fast; the default (10) is what `npm start` uses.
const env = { ACCOUNTS_DEV_OUTBOX: 'outbox.jsonl', ACCOUNTS_BCRYPT_COST: '4' };
let server: ServerProcess;
let systemKey = '';

beforeAll(async () => {
  const bootstrapped = await runCli(
    [
      'bootstrap',
      '--url',
      'sqlite:./data/accounts.db',
      '--email',
      sysadmin.email,
      '--password-stdin',
      '--system-client',
      'Ops',
    ],
    { cwd: directory, env, stdin: `${sysadmin.password}\n` },
  );
  expect(bootstrapped).toMatchObject({ code: 0, stderr: '' });
  systemKey = /shown this once: (\S+)/.exec(bootstrapped.stdout)?.[1] ?? '';
  server = await spawnServer({ cwd: directory, env });
}, 60_000);

afterAll(async () => {
  server?.kill();
  rmSync(directory, { recursive: true, force: true });
});

const send = (method: string, path: string, options?: Parameters<typeof fetchReply>[3]) =>
  fetchReply(server.url, method, path, options);

describe('example server on SQLite, unconfigured', () => {
  it('keeps its database, a generated HS256 key and the key codes are stored under, owner-only, in ./data', () => {
    expect(statSync(join(directory, 'data', 'accounts.db')).isFile()).toBe(true);
    expect(statSync(join(directory, 'data', 'jwt-secret')).mode & 0o777).toBe(0o600);
    expect(statSync(join(directory, 'data', 'code-secret')).mode & 0o777).toBe(0o600);
    expect(server.output.some((line) => line.includes('Generated an HS256 signing key'))).toBe(true);
    expect(server.output.some((line) => line.includes('Generated a verification-code key'))).toBe(true);
  });

  it('refuses a second bootstrap once the database has users', async () => {
    const again = await runCli(['bootstrap', '--url', 'sqlite:./data/accounts.db', '--email', 'other@example.com'], {
      cwd: directory,
    });
    expect(again.code).toBe(1);
    // It says how to grant the role instead (the CLI's own tests cover the wording).
    expect(again.stderr).toMatch(/already has 1 user\(s\)[\s\S]*accounts-module roles .*--set sysadmin/);
  });

  it('lets the bootstrapped system client act on any organization', async () => {
    const owner = await send('POST', '/users', {
      json: { name: 'Owner', email: uniqueEmail('sys'), password: PASSWORD },
    });
    const { accessToken } = expectData(
      await send('POST', '/authn/password', { json: { email: owner.body.data.emails[0].address, password: PASSWORD } }),
    );
    const organization = expectData(
      await send('POST', '/organizations', { token: accessToken, json: { name: 'Sys' } }),
      201,
    );
    expectData(await send('GET', `/organizations/${organization.id}`, { apiKey: systemKey }));
    const created = expectData(
      await send('POST', `/organizations/${organization.id}/clients`, {
        apiKey: systemKey,
        json: { name: 'Bot', reqsPerSec: 50 },
      }),
      201,
    );
    expect(created.client.reqsPerSec).toBe(50);
  });

  it('logs one JSON line per request, with neither query strings, credentials nor passwords', async () => {
    const marker = `marker${Date.now()}`;
    const reply = await send('POST', `/authn/password?secret=${marker}-query`, {
      json: { email: uniqueEmail('log'), password: `${marker}-password` },
      headers: { authorization: `Bearer ${marker}-token`, 'x-api-key': `${marker}-key`, 'x-request-id': marker },
    });
    expect(reply.headers['x-request-id']).toBe(marker);
    const line = await logEntry(server, (entry) => entry.requestId === marker);
    expect(line).toMatchObject({ level: 'info', method: 'POST', route: '/authn/password', status: 401 });
    expect(Object.keys(line).sort()).toEqual(
      [
        'durationMs',
        'hostname',
        'level',
        'method',
        'msg',
        'pid',
        'requestId',
        'route',
        'status',
        'time',
        'userAgent',
      ].sort(),
    );
    expect(server.output.join('\n').split(marker)).toHaveLength(2);
  });

  it('answers its probes outside the route table', async () => {
    expect(await send('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await send('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers 413 over the wire for a body over 100 kB, without reading it', async () => {
    const reply = await send('POST', '/users', { json: { name: 'x'.repeat(150_000) } });
    expectError(reply, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers 404 and 405 with the envelope', async () => {
    expectError(await send('GET', '/nowhere'), 404, 'NOT_FOUND');
    const wrong = await send('PUT', '/organizations');
    expectError(wrong, 405, 'METHOD_NOT_ALLOWED');
    expect(wrong.headers.allow).toBe('POST');
  });

  describeContract(() =>
    httpTarget(() => server.url, { outbox, sysadmin, database: { url: 'sqlite:./data/accounts.db', cwd: directory } }),
  );
});

describe('example server restart', () => {
  it('shuts down cleanly on SIGTERM and keeps its keys, so tokens and pending codes survive a restart', async () => {
    const email = uniqueEmail('restart');
    expectData(await send('POST', '/users', { json: { name: 'Re', email, password: PASSWORD } }), 201);
    const { accessToken } = expectData(await send('POST', '/authn/password', { json: { email, password: PASSWORD } }));
    const verifyCode = outboxCode(outbox, email, 'verify-email');

    expect(await server.stop('SIGTERM')).toBe(0);
    const said = logEntries(server.output).map((entry) => entry.msg);
    expect(said).toEqual(expect.arrayContaining(['SIGTERM received: shutting down', 'accounts-module stopped']));
    server = await spawnServer({ cwd: directory, env });
    expect(server.output.some((line) => line.includes('Generated an HS256'))).toBe(false);
    expect(server.output.some((line) => line.includes('Generated a verification-code key'))).toBe(false);
    expect(expectData(await send('GET', '/users/me', { token: accessToken })).emails[0].address).toBe(email);
    expectData(await send('POST', '/emails/verify', { json: { email, code: verifyCode } }));
    expect(await server.stop('SIGINT')).toBe(0);
  }, 60_000);
});
