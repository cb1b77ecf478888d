import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandlers } from '../../src/handlers';
import { describeDb } from '../support/databases';
import { makeWorld } from '../support/setup';
import { Api, type ContractTarget } from './contract';
import { PASSWORD } from './contract/target';
import { describeInvitationFlows } from './invitation-flows';
import { httpTarget, runCli, type ServerProcess, spawnServer } from './server-process';

/**
 * Invitations end to end: in-process over `dispatch`, and over the wire against the example server
 * (a child process, as `npm start` runs it) on SQLite and on MariaDB, reading tokens from its
 * development outbox (`ACCOUNTS_DEV_OUTBOX`, `kind: "invitation"`).
 */
const sysadmin = { email: 'root@example.com', password: PASSWORD };

function outboxToken(file: string, address: string): string {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const message = lines
    .map((line) => JSON.parse(line) as { to: string; kind: string; code: string })
    .reverse()
    .find((entry) => entry.to === address && entry.kind === 'invitation');
  if (!message) throw new Error(`no invitation email to ${address} in ${file}`);
  return message.code;
}

describe('invitations in-process', () => {
  const world = makeWorld();
  const handlers = createHandlers(world.accounts);
  const target: ContractTarget = {
    async send(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const body = options.json === undefined ? undefined : JSON.stringify(options.json);
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      const response = await handlers.dispatch({ method, path, headers, body, remoteAddress: '203.0.113.9' });
      const json = response.body === undefined ? null : JSON.parse(JSON.stringify(response.body));
      return { status: response.status, headers: response.headers, body: json };
    },
    async lastCode(address, kind) {
      await world.accounts.settled();
      const message = [...world.emailer.sent].reverse().find((sent) => sent.to === address && sent.kind === kind);
      if (!message) throw new Error(`no ${kind} email to ${address}`);
      return message.code;
    },
    grantRoles: async () => {
      throw new Error('not needed here');
    },
    sysadmin,
    clientIp: '203.0.113.9',
    apiName: 'accounts',
  };
  describeInvitationFlows(new Api(() => target), async (address) => {
    const message = [...world.emailer.sent].reverse().find((sent) => sent.to === address && sent.kind === 'invitation');
    if (!message) throw new Error(`no invitation email to ${address}`);
    return message.code;
  });
});

describe('invitations on the example server [sqlite]', () => {
  const directory = mkdtempSync(join(tmpdir(), 'accounts-e2e-invitations-'));
  const outbox = join(directory, 'outbox.jsonl');
  let server: ServerProcess;

  beforeAll(async () => {
    server = await spawnServer({ cwd: directory, env: { ACCOUNTS_DEV_OUTBOX: outbox, ACCOUNTS_BCRYPT_COST: '4' } });
  }, 60_000);

  afterAll(async () => {
    if (server) expect(await server.stop('SIGTERM')).toBe(0);
    rmSync(directory, { recursive: true, force: true });
  });

  describeInvitationFlows(new Api(() => httpTarget(() => server.url, { outbox, sysadmin })), async (address) =>
    outboxToken(outbox, address),
  );
});

describeDb('mariadb', 'invitations on the example server', (database) => {
  const directory = mkdtempSync(join(tmpdir(), 'accounts-e2e-invitations-mariadb-'));
  const outbox = join(directory, 'outbox.jsonl');
  let server: ServerProcess;

  beforeAll(async () => {
    const env = { DATABASE_URL: database().url, ACCOUNTS_DEV_OUTBOX: outbox, ACCOUNTS_BCRYPT_COST: '4' };
    const migrated = await runCli(['migrate', '--url', database().url], { cwd: directory, env });
    expect(migrated.code).toBe(0);
    server = await spawnServer({ cwd: directory, env });
  }, 60_000);

  afterAll(async () => {
    if (server) expect(await server.stop('SIGTERM')).toBe(0);
    rmSync(directory, { recursive: true, force: true });
  });

  describeInvitationFlows(new Api(() => httpTarget(() => server.url, { outbox, sysadmin })), async (address) =>
    outboxToken(outbox, address),
  );
});
