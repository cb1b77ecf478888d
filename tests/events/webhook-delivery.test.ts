/**
 * End to end: events in a real outbox reach a real HTTP receiver through the relay, at least once and
 * in order per subject, through receiver failures, a receiver outage, a relay restart, and two relays
 * sharing one MariaDB database.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SqlEventOutbox } from '../../src/adapters/sql/event-outbox';
import { EventRelay, verifyWebhookSignature, WebhookSink } from '../../src/events';
import { type EventRecord, subjectKey } from '../../src/ports/outbox';
import { describeDb } from '../support/databases';
import { record } from './outbox-contract';

const SECRET = 'whsec_dGVzdCBzZWNyZXQgZm9yIHRoZSByZWxheSB0ZXN0cw==';

/** A webhook receiver that refuses every third request and records what it accepted and what overlapped. */
class Receiver {
  private server: Server | null = null;
  port = 0;
  requests = 0;
  accepted: Array<{ id: string; subject: string | null }> = [];
  badSignatures = 0;
  private readonly inFlight = new Set<string>();
  private readonly subjectsInFlight = new Set<string>();
  overlaps: string[] = [];

  constructor(private readonly delayMs = 0) {}

  async start(): Promise<void> {
    const server = createServer(
      (request, response) => void this.handle(request).then((status) => response.writeHead(status).end()),
    );
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
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
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  private async handle(request: IncomingMessage): Promise<number> {
    let body = '';
    for await (const chunk of request) body += chunk;
    const header = (name: string) => String(request.headers[name] ?? '');
    const signed = verifyWebhookSignature({
      secret: SECRET,
      id: header('webhook-id'),
      timestamp: header('webhook-timestamp'),
      body,
      signature: header('webhook-signature'),
    });
    if (!signed) {
      this.badSignatures += 1;
      return 401;
    }
    const event = JSON.parse(body) as { id: string; subjects: EventRecord['subjects'] };
    const subject = subjectKey(event.subjects);
    if (this.inFlight.has(event.id)) this.overlaps.push(`event ${event.id}`);
    if (subject !== null && this.subjectsInFlight.has(subject)) this.overlaps.push(`subject ${subject}`);
    this.inFlight.add(event.id);
    if (subject !== null) this.subjectsInFlight.add(subject);
    try {
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      this.requests += 1;
      if (this.requests % 3 === 0) return 500;
      this.accepted.push({ id: event.id, subject });
      return 204;
    } finally {
      this.inFlight.delete(event.id);
      if (subject !== null) this.subjectsInFlight.delete(subject);
    }
  }
}

function events(subjects: number, perSubject: number): EventRecord[] {
  return Array.from({ length: subjects * perSubject }, (_, index) => {
    const subject = index % subjects;
    return subject % 2 === 0 ? record({ organizationId: `org_${subject}` }) : record({ userId: `usr_${subject}` });
  });
}

function relayOn(outbox: SqlEventOutbox, receiver: Receiver, owner: string): EventRelay {
  return new EventRelay({
    outbox,
    owner,
    sinks: [new WebhookSink({ url: receiver.url, secret: SECRET, timeoutMs: 2_000 })],
    pollIntervalMs: 10,
    batchSize: 4,
    leaseMs: 10_000,
    maxAttempts: 10_000,
    backoffBaseMs: 5,
    backoffCapMs: 80,
  });
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for deliveries');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every event accepted at least once, and per subject the accepted ones never go back in the order. */
function expectAtLeastOnceInOrder(appended: EventRecord[], receiver: Receiver): void {
  const position = new Map(appended.map((event, index) => [event.id, index]));
  expect(new Set(receiver.accepted.map((receipt) => receipt.id))).toEqual(new Set(position.keys()));
  const last = new Map<string | null, number>();
  for (const { id, subject } of receiver.accepted) {
    const index = position.get(id)!;
    expect(index).toBeGreaterThanOrEqual(last.get(subject) ?? -1);
    last.set(subject, index);
  }
  expect(receiver.badSignatures).toBe(0);
}

describeDb('sqlite', 'webhook delivery through a receiver outage and a relay restart', (database) => {
  it('delivers every event at least once, in order per subject', async () => {
    const receiver = new Receiver();
    await receiver.start();
    const outbox = new SqlEventOutbox(database().knex);
    const appended = events(6, 8);
    await outbox.append(appended);
    const first = relayOn(outbox, receiver, 'relay-1');
    first.start();
    try {
      await until(() => receiver.accepted.length >= 12);
      await receiver.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await first.stop();
      await receiver.start();
      const second = relayOn(outbox, receiver, 'relay-2');
      second.start();
      try {
        await until(() => new Set(receiver.accepted.map((receipt) => receipt.id)).size === appended.length);
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
      await receiver.stop();
    }
    expectAtLeastOnceInOrder(appended, receiver);
    const stored = await outbox.list({ limit: 100 });
    expect(stored.every((event) => event.deliveredAt !== null)).toBe(true);
    // The refusals and the outage were retried, and a delivery clears the error of the attempt before.
    expect(stored.some((event) => event.attempts > 1)).toBe(true);
    expect(stored.every((event) => event.lastError === null)).toBe(true);
  }, 30_000);
});

for (const kind of ['mariadb', 'postgres'] as const) {
  describeDb(kind, 'two relays on one database', (database) => {
    it('never deliver one event, or one subject, twice at the same time', async () => {
      const receiver = new Receiver(15);
      await receiver.start();
      const pools = [database().connect(), database().connect()];
      const appended = events(10, 4);
      await new SqlEventOutbox(database().knex).append(appended);
      const relays = pools.map((pool, index) => relayOn(new SqlEventOutbox(pool), receiver, `relay-${index}`));
      const claimedBy = new Map<string, number>();
      for (const relay of relays) {
        const runOnce = relay.runOnce.bind(relay);
        relay.runOnce = async () => {
          const round = await runOnce();
          claimedBy.set(relay.owner, (claimedBy.get(relay.owner) ?? 0) + round.claimed);
          return round;
        };
        relay.start();
      }
      try {
        await until(() => new Set(receiver.accepted.map((receipt) => receipt.id)).size === appended.length);
      } finally {
        await Promise.all(relays.map((relay) => relay.stop()));
        await Promise.all(pools.map((pool) => pool.destroy()));
        await receiver.stop();
      }
      expect(receiver.overlaps).toEqual([]);
      expectAtLeastOnceInOrder(appended, receiver);
      expect([...claimedBy.values()].every((claimed) => claimed > 0)).toBe(true);
    }, 30_000);
  });
}
