/**
 * The example server's event delivery as an integrator's webhook receiver meets it (docs/events.md):
 * the server runs in 'relay' mode, so an event committed with its change is delivered at least once
 * even when the process dies between the change and the delivery. Here the process is SIGKILLed
 * while the receiver still refuses everything, started again on the same database with the receiver
 * accepting, and the event arrives, signed. And a receiver that fails every third request still
 * ends up with every event, in order per subject.
 *
 * The relay's backoff is not configurable through the server's environment (base 1 s, cap 10 min,
 * full jitter: src/events/relay.ts), so the receiver refuses rather than stays down for long, and the
 * process is killed right after the first refusals, while the next attempt is at most a few seconds away.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { SqlEventOutbox } from '../../src/adapters/sql';
import { verifyWebhookSignature, type WebhookBody } from '../../src/events';
import { type StoredEvent, subjectKey } from '../../src/ports/outbox';
import { describeDb } from '../support/databases';
import { expectData, PASSWORD, uniqueEmail } from './contract/target';
import { fetchReply, type ServerProcess, spawnServer } from './server-process';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const SECRETS = {
  ACCOUNTS_JWT_SECRET: randomBytes(32).toString('base64url'),
  ACCOUNTS_CODE_SECRET: randomBytes(32).toString('base64url'),
};

type Mode = 'refuse' | 'accept' | 'fail-every-third';

interface Delivery {
  /** The `Webhook-Id` header. */
  id: string;
  body: WebhookBody;
  signed: boolean;
  status: number;
}

/** A webhook receiver as an integrator writes one: it checks the signature on the raw body, then answers. */
class Receiver {
  mode: Mode = 'refuse';
  readonly deliveries: Delivery[] = [];
  private server: Server | null = null;
  private requests = 0;

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      void this.handle(request).then(
        (status) => response.writeHead(status).end(),
        () => response.writeHead(400).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hooks`;
  }

  /** The deliveries it answered with a 2xx, with a valid signature. */
  get accepted(): Delivery[] {
    return this.deliveries.filter((delivery) => delivery.signed && delivery.status < 300);
  }

  private async handle(request: IncomingMessage): Promise<number> {
    let raw = '';
    request.setEncoding('utf8');
    for await (const chunk of request) raw += chunk;
    const header = (name: string) => String(request.headers[name] ?? '');
    const signed = verifyWebhookSignature({
      secret: SECRET,
      id: header('webhook-id'),
      timestamp: header('webhook-timestamp'),
      body: raw,
      signature: header('webhook-signature'),
    });
    const body = JSON.parse(raw) as WebhookBody;
    this.requests += 1;
    let status = 204;
    if (!signed) status = 401;
    else if (this.mode === 'refuse') status = 500;
    else if (this.mode === 'fail-every-third' && this.requests % 3 === 0) status = 500;
    this.deliveries.push({ id: header('webhook-id'), body, signed, status });
    return status;
  }
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Signals the server's whole process group (tsx and the node process running the server). */
function signalGroup(server: ServerProcess, signal: NodeJS.Signals): void {
  process.kill(-server.child.pid!, signal);
}

function exited(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => server.child.once('exit', () => resolve()));
}

/**
 * Kills the server with SIGKILL while it holds no lease on `userId`'s events: it is frozen first
 * (SIGSTOP) and the rows are read; a lease taken by a claim that committed means a delivery in flight,
 * which the kill would leave leased for the lease's 60 s, so the server is thawed and it is tried again.
 * A claim not committed when the process dies is rolled back, so what the frozen state shows is what
 * the next start finds.
 */
async function killBetweenAttempts(server: ServerProcess, knex: Knex, userId: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    signalGroup(server, 'SIGSTOP');
    const leased = await knex('events').where('user_id', userId).whereNotNull('lease_owner');
    if (leased.length === 0) {
      signalGroup(server, 'SIGKILL');
      await exited(server);
      return;
    }
    signalGroup(server, 'SIGCONT');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the server always held a lease on the events');
}

async function register(url: string, tag: string): Promise<{ id: string; email: string }> {
  const email = uniqueEmail(tag);
  const user = expectData<{ id: string }>(
    await fetchReply(url, 'POST', '/users', { json: { name: 'Webhook', email, password: PASSWORD } }),
    201,
  );
  return { id: user.id, email };
}

async function logIn(url: string, email: string): Promise<string> {
  const tokens = expectData<{ accessToken: string }>(
    await fetchReply(url, 'POST', '/authn/password', { json: { email, password: PASSWORD } }),
  );
  return tokens.accessToken;
}

for (const kind of ['sqlite', 'mariadb'] as const) {
  describeDb(kind, 'event delivery across a server crash', (database) => {
    const receiver = new Receiver();
    const directories: string[] = [];
    const running: ServerProcess[] = [];

    beforeAll(() => receiver.start());

    afterAll(async () => {
      for (const server of running) server.kill();
      await Promise.all(running.map(exited));
      await receiver.stop();
      for (const directory of directories) rmSync(directory, { recursive: true, force: true });
    });

    const outbox = () => new SqlEventOutbox(database().knex);

    /** The example server on the suite's database, delivering to the receiver; `cwd` keeps its data dir. */
    async function start(cwd: string): Promise<ServerProcess> {
      const server = await spawnServer({
        cwd,
        timeoutMs: 60_000,
        env: {
          ...SECRETS,
          DATABASE_URL: database().url,
          ACCOUNTS_BCRYPT_COST: '4',
          ACCOUNTS_WEBHOOK_URL: receiver.url,
          ACCOUNTS_WEBHOOK_SECRET: SECRET,
        },
      });
      running.push(server);
      return server;
    }

    function directory(): string {
      const made = mkdtempSync(join(tmpdir(), `accounts-e2e-events-${kind}-`));
      directories.push(made);
      return made;
    }

    it('delivers an event after the process was killed between its change and its delivery', async () => {
      receiver.mode = 'refuse';
      const cwd = directory();
      const first = await start(cwd);
      const user = await register(first.url, 'crash');

      // Committed with the user, and refused by the receiver: the relay tried and will try again.
      const refused = await until('a refused delivery of user.registered', () =>
        receiver.deliveries.find(
          (delivery) => delivery.body.type === 'user.registered' && delivery.body.subjects.userId === user.id,
        ),
      );
      expect(refused).toMatchObject({ signed: true, status: 500 });
      await until('the refusal to be recorded', async () => {
        const [stored] = await outbox().list({ userId: user.id, types: ['user.registered'], limit: 1 });
        return stored?.lastError !== null && stored?.lastError !== undefined;
      });
      await killBetweenAttempts(first, database().knex, user.id);

      // The process is gone and the event never went out: it waits in the table.
      const waiting = await outbox().list({ userId: user.id, limit: 10 });
      expect(waiting.map((event) => event.type)).toEqual(['user.registered', 'email.added']);
      expect(waiting.every((event) => event.deliveredAt === null && event.deadAt === null)).toBe(true);
      expect(waiting[0]).toMatchObject({ attempts: expect.any(Number), lastError: 'webhook answered HTTP 500' });
      expect(waiting[0]!.attempts).toBeGreaterThanOrEqual(1);
      expect(receiver.accepted.filter((delivery) => delivery.body.subjects.userId === user.id)).toEqual([]);

      receiver.mode = 'accept';
      const second = await start(cwd);
      try {
        const delivered = await until('user.registered to be accepted', () =>
          receiver.accepted.find(
            (delivery) => delivery.body.type === 'user.registered' && delivery.body.subjects.userId === user.id,
          ),
        );
        const event = waiting[0]!;
        expect(delivered.id).toBe(event.id);
        expect(delivered.body).toEqual({
          id: event.id,
          type: 'user.registered',
          at: event.at.toISOString(),
          actor: { userId: null, clientId: null, ip: '127.0.0.1' },
          subjects: { userId: user.id, organizationId: null, clientId: null, sessionId: null },
          payload: {},
        });
        // Both events end up delivered, in order, and marked so in the table.
        const stored = await until('both rows to be marked delivered', async () => {
          const rows = await outbox().list({ userId: user.id, limit: 10 });
          return rows.every((row) => row.deliveredAt !== null) ? rows : undefined;
        });
        expect(stored.map((row) => row.attempts).every((attempts) => attempts >= 1)).toBe(true);
        const mine = receiver.accepted.filter((delivery) => delivery.body.subjects.userId === user.id);
        expect(mine.map((delivery) => delivery.body.type)).toEqual(['user.registered', 'email.added']);
        expect(mine[1]!.body.payload).toEqual({ address: user.email });
      } finally {
        expect(await second.stop('SIGTERM')).toBe(0);
      }
      // Every request the receiver saw was signed with the shared secret.
      expect(receiver.deliveries.every((delivery) => delivery.signed)).toBe(true);
    }, 60_000);

    it('gets every event to a receiver failing every third request, at least once and in order per subject', async () => {
      receiver.mode = 'fail-every-third';
      const from = receiver.deliveries.length;
      const server = await start(directory());
      try {
        // Several subjects at once: three users (registration, login), an organization, a logout.
        const users = await Promise.all(['a', 'b', 'c'].map((tag) => register(server.url, `third-${tag}`)));
        const tokens = await Promise.all(users.map((user) => logIn(server.url, user.email)));
        const organization = expectData<{ id: string }>(
          await fetchReply(server.url, 'POST', '/organizations', { json: { name: 'Third' }, token: tokens[0] }),
          201,
        );
        expect((await fetchReply(server.url, 'POST', '/sessions/logout', { json: {}, token: tokens[1] })).status).toBe(
          204,
        );

        const expected = async (): Promise<StoredEvent[]> => {
          const lists = await Promise.all([
            ...users.map((user) => outbox().list({ userId: user.id, limit: 100 })),
            outbox().list({ organizationId: organization.id, limit: 100 }),
          ]);
          const byId = new Map(lists.flat().map((event) => [event.id, event]));
          return [...byId.values()].sort((a, b) => a.seq - b.seq);
        };
        const events = await until(
          'every event to be delivered',
          async () => {
            const all = await expected();
            return all.every((event) => event.deliveredAt !== null) ? all : undefined;
          },
          45_000,
        );
        expect(events.length).toBeGreaterThanOrEqual(11);
        expect(new Set(events.map((event) => event.type))).toEqual(
          new Set(['user.registered', 'email.added', 'login.succeeded', 'membership.changed', 'session.revoked']),
        );

        const seen = receiver.deliveries.slice(from);
        const accepted = seen.filter((delivery) => delivery.signed && delivery.status < 300);
        // Some were refused (and retried): every third request.
        expect(seen.filter((delivery) => delivery.status === 500).length).toBeGreaterThanOrEqual(
          Math.floor(seen.length / 3),
        );
        expect(seen.every((delivery) => delivery.signed)).toBe(true);
        // Each at least once.
        const acceptedIds = new Set(accepted.map((delivery) => delivery.id));
        for (const event of events)
          expect({ id: event.id, accepted: acceptedIds.has(event.id) }).toEqual({
            id: event.id,
            accepted: true,
          });
        // In order per subject: by the outbox's seq, an accepted delivery never goes back.
        const seqOf = new Map(events.map((event) => [event.id, event.seq]));
        const lastSeq = new Map<string | null, number>();
        const firstOrder = new Map<string | null, string[]>();
        for (const delivery of accepted) {
          const seq = seqOf.get(delivery.id);
          if (seq === undefined) continue;
          const subject = subjectKey(delivery.body.subjects);
          expect(seq).toBeGreaterThanOrEqual(lastSeq.get(subject) ?? -1);
          lastSeq.set(subject, seq);
          const order = firstOrder.get(subject) ?? [];
          if (!order.includes(delivery.id)) order.push(delivery.id);
          firstOrder.set(subject, order);
        }
        for (const [subject, order] of firstOrder) {
          const inTable = events.filter((event) => subjectKey(event.subjects) === subject).map((event) => event.id);
          expect({ subject, order }).toEqual({ subject, order: inTable });
        }
        // The refusals are in the table too: retried events count more than one attempt.
        expect(events.some((event) => event.attempts > 1)).toBe(true);
        expect(events.every((event) => event.lastError === null)).toBe(true);
      } finally {
        expect(await server.stop('SIGTERM')).toBe(0);
      }
    }, 60_000);
  });
}
