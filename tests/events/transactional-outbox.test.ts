/**
 * The transactional outbox on real databases (issue 11 §2, docs/events.md): the domain writes every
 * event in the transaction of the change it reports, through `createAccounts` over `SqlIo`. A change
 * that commits has its events in the table; a change that rolls back (a failing write after the
 * events were recorded, a failing append, a domain Err) leaves neither change nor event; in 'direct'
 * mode the events are stored as delivered and `lib.onEvent` gets them once, in 'relay' mode they wait
 * for an `EventRelay`, which only ever sees committed ones.
 */
import type { Knex } from 'knex';
import { Err } from 'ts-results';
import { DefaultLib, ManualClock, RecordingEmailer } from '../../src/adapters/lib';
import { SqlEventOutbox, SqlIo } from '../../src/adapters/sql';
import { createAccounts } from '../../src/create-accounts';
import type { Accounts } from '../../src/domain/accounts';
import type { Caller } from '../../src/domain/context';
import { accountsError } from '../../src/domain/errors';
import { inTransactionWithEvents, publishEvents, recordEvent, transactWithEvents } from '../../src/domain/event-log';
import { EventRelay, onEventSink } from '../../src/events';
import type { User } from '../../src/ports/entities';
import type { AccountsEvent } from '../../src/ports/events';
import type { Io } from '../../src/ports/io';
import type { EventRecord, StoredEvent } from '../../src/ports/outbox';
import { describeEachDb, type TestDatabase } from '../support/databases';
import { type FaultyIo, faultyTransactions } from '../support/faulty-io';
import { errCode, ok, REQUEST, START, STRONG_PASSWORD, TEST_BCRYPT_COST, TEST_JWT_SECRET } from '../support/setup';

type Mode = 'direct' | 'relay';

interface System {
  accounts: Accounts;
  /** The plain SqlIo (reads and checks). */
  sql: SqlIo;
  /** The Io the accounts run on, whose transactions can be made to fail. */
  faults: FaultyIo;
  lib: DefaultLib;
  clock: ManualClock;
  /** What `lib.onEvent` received, in order. */
  hook: AccountsEvent[];
  /** How often `onCommitted` was called. */
  commits: () => number;
  knex: Knex;
}

const SYSTEM_CALLER: Caller = { client: { id: 'cli_test_operator', organizationId: '', roles: ['system'] } };

let sequence = 0;
const uniqueEmail = (tag: string) => `${tag}-${Date.now().toString(36)}-${++sequence}@example.com`;

function system(database: TestDatabase, mode: Mode): System {
  const clock = new ManualClock(START);
  const hook: AccountsEvent[] = [];
  let commits = 0;
  const lib = new DefaultLib({
    passwords: { bcryptCost: TEST_BCRYPT_COST },
    tokens: { secret: TEST_JWT_SECRET },
    emailer: new RecordingEmailer(),
    onEvent: (event) => {
      hook.push(event);
    },
    clock: () => clock.now(),
  });
  const sql = new SqlIo(database.knex);
  const faults = faultyTransactions(sql);
  const accounts = createAccounts({
    io: faults.io,
    lib,
    events: mode === 'direct' ? { delivery: 'direct' } : { delivery: 'relay', onCommitted: () => void commits++ },
  });
  return { accounts, sql, faults, lib, clock, hook, commits: () => commits, knex: database.knex };
}

/** A relay over the suite's database, on the system's clock (the events are stamped with it). */
function relayFor(s: System, knex: Knex = s.knex): EventRelay {
  return new EventRelay({
    outbox: new SqlEventOutbox(knex),
    sinks: [onEventSink((event) => s.lib.onEvent(event))],
    now: () => s.clock.now(),
  });
}

/** Runs the relay until it finds nothing left to claim. */
async function drain(relay: EventRelay): Promise<void> {
  for (let round = 0; round < 50; round++) {
    if ((await relay.runOnce()).claimed === 0) return;
  }
  throw new Error('the relay kept finding events');
}

async function countEvents(knex: Knex): Promise<number> {
  const [row] = await knex('events').count({ n: '*' });
  return Number((row as { n: number | string }).n);
}

async function eventsOf(s: System, userId: string): Promise<StoredEvent[]> {
  return s.sql.listEvents({ userId, limit: 100 });
}

async function register(s: System, email: string): Promise<string> {
  await s.accounts.settled();
  const user = ok<{ id: string }>(
    await s.accounts.users.register({ name: 'Outbox', email, password: STRONG_PASSWORD }, REQUEST),
  );
  await s.accounts.settled();
  return user.id;
}

async function signIn(s: System, email: string): Promise<Caller> {
  const tokens = ok<{ accessToken: string }>(
    await s.accounts.sessions.loginWithPassword({ email, password: STRONG_PASSWORD }, REQUEST),
  );
  return { user: ok(await s.accounts.sessions.authenticate(tokens.accessToken)) };
}

const hookOf = (s: System, userId: string) => s.hook.filter((event) => 'userId' in event && event.userId === userId);

/** The two events of a registration, as the domain records them and `lib.onEvent` receives them. */
const registrationEvents = (userId: string, address: string): AccountsEvent[] => [
  { type: 'user.registered', at: START, userId },
  { type: 'email.added', at: START, userId, address },
];

describeEachDb('the transactional outbox', (database) => {
  describe('a change that commits', () => {
    it("writes its events in its transaction ('direct': stored as delivered, lib.onEvent once)", async () => {
      const s = system(database(), 'direct');
      const email = uniqueEmail('direct');
      const userId = await register(s, email);

      const stored = await eventsOf(s, userId);
      expect(stored.map((event) => event.type)).toEqual(['user.registered', 'email.added']);
      for (const event of stored) {
        expect(event).toMatchObject({
          id: expect.stringMatching(/^evt_/),
          at: START,
          actor: { userId: null, clientId: null, ip: REQUEST.ip },
          subjects: { userId, organizationId: null, clientId: null, sessionId: null },
          attempts: 0,
          deadAt: null,
          deliveredAt: s.clock.now(),
        });
      }
      expect(stored.map((event) => event.payload)).toEqual([{}, { address: email }]);
      expect(stored[0]!.seq).toBeLessThan(stored[1]!.seq);
      // The hook got each event once, in order, right after the commit.
      expect(hookOf(s, userId)).toEqual(registrationEvents(userId, email));

      // Already delivered: a relay over the same table hands none of them on again.
      await drain(relayFor(s));
      expect(hookOf(s, userId)).toEqual(registrationEvents(userId, email));
    });

    it("leaves them undelivered in 'relay' mode until a relay runs, which delivers each once, in order", async () => {
      const s = system(database(), 'relay');
      const email = uniqueEmail('relay');
      const userId = await register(s, email);
      expect(s.commits()).toBe(1);

      const waiting = await eventsOf(s, userId);
      expect(waiting.map((event) => [event.type, event.deliveredAt, event.attempts])).toEqual([
        ['user.registered', null, 0],
        ['email.added', null, 0],
      ]);
      expect(waiting[1]!.subjects).toEqual({ userId, organizationId: null, clientId: null, sessionId: null });
      expect(s.hook).toEqual([]);

      // A later change of the same user: its event queues behind the first two.
      await signIn(s, email);
      expect(s.commits()).toBe(2);
      expect(s.hook).toEqual([]);

      const relay = relayFor(s);
      await drain(relay);
      const mine = hookOf(s, userId);
      expect(mine.map((event) => event.type)).toEqual(['user.registered', 'email.added', 'login.succeeded']);
      expect(mine.slice(0, 2)).toEqual(registrationEvents(userId, email));
      const delivered = await eventsOf(s, userId);
      expect(delivered.every((event) => event.deliveredAt !== null && event.attempts === 1)).toBe(true);

      // Delivered means done: another round hands nothing on twice.
      await drain(relay);
      expect(hookOf(s, userId)).toHaveLength(3);
    });
  });

  describe('a change that rolls back leaves no event', () => {
    it('when appending its events fails inside the transaction: no user, no event, no hook call', async () => {
      for (const mode of ['direct', 'relay'] as const) {
        const s = system(database(), mode);
        const email = uniqueEmail(`append-fails-${mode}`);
        const before = await countEvents(s.knex);
        s.faults.failInTransaction('appendEvents');
        await expect(
          s.accounts.users.register({ name: 'Outbox', email, password: STRONG_PASSWORD }, REQUEST),
        ).rejects.toThrow('injected failure of appendEvents');
        await s.accounts.settled();

        // The change was made in the transaction, and its events were recorded, before the append failed.
        const methods = s.faults.calls.map((call) => call.method);
        expect(methods.indexOf('insertUser')).toBeGreaterThanOrEqual(0);
        expect(methods.indexOf('insertLoginEmail')).toBeLessThan(methods.indexOf('appendEvents'));
        const append = s.faults.calls.find((call) => call.method === 'appendEvents')!;
        const records = append.args[0] as EventRecord[];
        expect(records.map((record) => record.type)).toEqual(['user.registered', 'email.added']);

        expect(await s.sql.findUserByEmail(email)).toBeNull();
        expect(await s.sql.findLoginEmail(email)).toBeNull();
        expect(await s.sql.findUserById(records[0]!.subjects.userId!)).toBeNull();
        expect(await countEvents(s.knex)).toBe(before);
        expect(s.hook).toEqual([]);
        expect(s.commits()).toBe(0);
      }
    });

    it('when the transaction fails after its events were written: none of them is left, nor seen meanwhile', async () => {
      const s = system(database(), 'relay');
      const email = uniqueEmail('after-append');
      const before = await countEvents(s.knex);
      const other = database().connect();
      const seenMeanwhile: { listed: StoredEvent[]; claimed: StoredEvent[] } = { listed: [], claimed: [] };
      try {
        s.faults.failInTransaction('appendEvents', {
          timing: 'after',
          // The rows are in the open transaction now: from another connection, nothing of them shows.
          beforeThrow: async () => {
            const append = s.faults.calls.find((call) => call.method === 'appendEvents')!;
            const userId = (append.args[0] as EventRecord[])[0]!.subjects.userId!;
            seenMeanwhile.listed = await new SqlEventOutbox(other).list({ userId, limit: 10 });
            // SQLite: a claim needs the write lock the open transaction holds (one relay, one writer).
            if (database().kind !== 'sqlite') {
              const relay = new EventRelay({
                outbox: new SqlEventOutbox(other),
                sinks: [{ name: 'spy', deliver: async (event) => void seenMeanwhile.claimed.push(event) }],
                now: () => s.clock.now(),
              });
              await drain(relay);
            }
          },
        });
        await expect(
          s.accounts.users.register({ name: 'Outbox', email, password: STRONG_PASSWORD }, REQUEST),
        ).rejects.toThrow('injected failure of appendEvents');
      } finally {
        await other.destroy();
      }
      await s.accounts.settled();
      const append = s.faults.calls.find((call) => call.method === 'appendEvents')!;
      const ids = (append.args[0] as EventRecord[]).map((record) => record.id);
      expect(ids).toHaveLength(2);
      expect(seenMeanwhile.listed).toEqual([]);
      expect(seenMeanwhile.claimed.filter((event) => ids.includes(event.id))).toEqual([]);

      expect(await s.sql.findUserByEmail(email)).toBeNull();
      expect(await countEvents(s.knex)).toBe(before);
      expect(await s.knex('events').whereIn('id', ids)).toEqual([]);
      expect(s.commits()).toBe(0);
    });

    it('when a write that follows recordEvent fails (a login: the session, then its refresh token)', async () => {
      const s = system(database(), 'direct');
      const email = uniqueEmail('login-fails');
      const userId = await register(s, email);
      const hookBefore = s.hook.length;
      const mark = s.faults.calls.length;
      s.faults.failInTransaction('insertRefreshToken');
      await expect(
        s.accounts.sessions.loginWithPassword({ email, password: STRONG_PASSWORD }, REQUEST),
      ).rejects.toThrow('injected failure of insertRefreshToken');
      s.faults.heal();

      // login.succeeded was recorded, then the session inserted, then the refresh token failed.
      const methods = s.faults.calls.slice(mark).map((call) => call.method);
      expect(methods).toContain('insertSession');
      expect(methods.indexOf('insertSession')).toBeLessThan(methods.lastIndexOf('insertRefreshToken'));
      expect(methods).not.toContain('appendEvents');
      expect(await s.sql.listActiveSessions(userId, s.clock.now())).toEqual([]);
      expect((await eventsOf(s, userId)).map((event) => event.type)).toEqual(['user.registered', 'email.added']);
      expect(s.hook).toHaveLength(hookBefore);

      // The same login, healed, commits both.
      await signIn(s, email);
      expect(await s.sql.listActiveSessions(userId, s.clock.now())).toHaveLength(1);
      expect((await eventsOf(s, userId)).map((event) => event.type)).toEqual([
        'user.registered',
        'email.added',
        'login.succeeded',
      ]);
    });

    it('when a write that follows recordEvent fails (a ban: user.banned, then revoking the sessions)', async () => {
      const s = system(database(), 'relay');
      const email = uniqueEmail('ban-fails');
      const userId = await register(s, email);
      await signIn(s, email);
      const before = await countEvents(s.knex);
      const mark = s.faults.calls.length;
      s.faults.failInTransaction('revokeUserSessions');
      await expect(s.accounts.users.ban(SYSTEM_CALLER, userId)).rejects.toThrow(
        'injected failure of revokeUserSessions',
      );
      s.faults.heal();

      const methods = s.faults.calls.slice(mark).map((call) => call.method);
      expect(methods).not.toContain('appendEvents');
      expect(methods.indexOf('updateUser')).toBeLessThan(methods.indexOf('revokeUserSessions'));
      expect(methods.indexOf('updateUser')).toBeGreaterThanOrEqual(0);
      expect((await s.sql.findUserById(userId))!.bannedAt).toBeNull();
      expect(await s.sql.listActiveSessions(userId, s.clock.now())).toHaveLength(1);
      expect(await countEvents(s.knex)).toBe(before);
      const types = (await eventsOf(s, userId)).map((event) => event.type);
      expect(types).not.toContain('user.banned');
      expect(types).not.toContain('session.revoked');
      expect(s.commits()).toBe(2);
      await drain(relayFor(s));
    });

    it('when the domain answers an Err (LAST_OWNER): the membership stays, no event', async () => {
      const s = system(database(), 'direct');
      const email = uniqueEmail('owner');
      await register(s, email);
      const owner = await signIn(s, email);
      const organization = ok<{ id: string }>(await s.accounts.organizations.create(owner, { name: 'Acme' }));
      const [membership] = await s.sql.listMemberships(organization.id);
      const orgEvents = () => s.sql.listEvents({ organizationId: organization.id, limit: 10 });
      expect((await orgEvents()).map((event) => event.type)).toEqual(['membership.changed']);
      const before = await countEvents(s.knex);
      const hookBefore = s.hook.length;

      expect(errCode(await s.accounts.organizations.removeMembership(owner, membership!.id))).toBe('LAST_OWNER');
      expect(
        errCode(await s.accounts.organizations.changeMembershipRole(owner, membership!.id, { role: 'admin' })),
      ).toBe('LAST_OWNER');

      expect(await s.sql.findMembershipById(membership!.id)).toMatchObject({ role: 'owner' });
      expect(await countEvents(s.knex)).toBe(before);
      expect((await orgEvents()).map((event) => event.type)).toEqual(['membership.changed']);
      expect(s.hook).toHaveLength(hookBefore);
    });

    it('when work returns an Err or throws after writing and recording (event-log primitives)', async () => {
      const s = system(database(), 'relay');
      const deps = { io: s.sql as Io, lib: s.lib, events: { mode: 'relay' as const, onCommitted: () => undefined } };
      let committedCalls = 0;
      deps.events.onCommitted = () => void committedCalls++;
      const before = await countEvents(s.knex);
      const newUser = (): User => ({
        id: s.lib.newId('user'),
        name: 'Primitive',
        passwordHash: null,
        roles: ['user'],
        createdAt: START,
        updatedAt: START,
        deletedAt: null,
        bannedAt: null,
        credentialVersion: 0,
        fields: {},
      });

      const refused = newUser();
      const answer = await inTransactionWithEvents(deps, { userId: null }, async (tx) => {
        await tx.insertUser(refused);
        recordEvent(tx, { type: 'user.registered', at: START, userId: refused.id });
        // An event that reports no change of its own, published inside the transaction: it waits for the commit.
        await publishEvents({ ...deps, io: tx }, {}, [
          { type: 'user.roles_changed', at: START, userId: refused.id, roles: ['user'] },
        ]);
        return Err(accountsError('VALIDATION_FAILED'));
      });
      expect(errCode(answer)).toBe('VALIDATION_FAILED');

      const thrown = newUser();
      await expect(
        transactWithEvents(deps, {}, async (tx) => {
          recordEvent(tx, { type: 'user.registered', at: START, userId: thrown.id });
          await tx.insertUser(thrown);
          throw new Error('work failed');
        }),
      ).rejects.toThrow('work failed');

      for (const user of [refused, thrown]) {
        expect(await s.sql.findUserById(user.id)).toBeNull();
        expect(await eventsOf(s, user.id)).toEqual([]);
      }
      expect(await countEvents(s.knex)).toBe(before);
      expect(committedCalls).toBe(0);

      // The same work, committed, stores both events (so the checks above could see them).
      const kept = newUser();
      await transactWithEvents(deps, {}, async (tx) => {
        await tx.insertUser(kept);
        recordEvent(tx, { type: 'user.registered', at: START, userId: kept.id });
        await publishEvents({ ...deps, io: tx }, {}, [
          { type: 'user.roles_changed', at: START, userId: kept.id, roles: ['user'] },
        ]);
      });
      expect((await eventsOf(s, kept.id)).map((event) => event.type)).toEqual([
        'user.registered',
        'user.roles_changed',
      ]);
      expect(committedCalls).toBe(1);
      await drain(relayFor(s));
    });
  });

  it("a relay in 'relay' mode only ever delivers committed events", async () => {
    const s = system(database(), 'relay');
    const kept = uniqueEmail('kept');
    const keptId = await register(s, kept);

    // A second registration whose events reach the table, then roll back with it.
    s.faults.failInTransaction('appendEvents', { timing: 'after' });
    const lost = uniqueEmail('lost');
    await expect(
      s.accounts.users.register({ name: 'Outbox', email: lost, password: STRONG_PASSWORD }, REQUEST),
    ).rejects.toThrow('injected failure of appendEvents');
    s.faults.heal();
    const lostRecords = s.faults.calls.filter((call) => call.method === 'appendEvents').at(-1)!
      .args[0] as EventRecord[];
    const lostIds = new Set(lostRecords.map((record) => record.id));
    const lostUserId = lostRecords[0]!.subjects.userId!;
    expect(lostIds.size).toBe(2);

    const delivered: StoredEvent[] = [];
    const relay = new EventRelay({
      outbox: new SqlEventOutbox(s.knex),
      sinks: [
        onEventSink((event) => s.lib.onEvent(event)),
        { name: 'spy', deliver: async (event) => void delivered.push(event) },
      ],
      now: () => s.clock.now(),
    });
    await drain(relay);

    expect(hookOf(s, keptId)).toEqual(registrationEvents(keptId, kept));
    expect(delivered.filter((event) => lostIds.has(event.id))).toEqual([]);
    expect(hookOf(s, lostUserId)).toEqual([]);
    expect(s.hook.some((event) => 'address' in event && event.address === lost)).toBe(false);
    expect(await eventsOf(s, lostUserId)).toEqual([]);
    // The address is free: the rolled-back registration left nothing behind to collide with.
    const again = await register(s, lost);
    await drain(relay);
    expect(hookOf(s, again)).toEqual(registrationEvents(again, lost));
  });
});
