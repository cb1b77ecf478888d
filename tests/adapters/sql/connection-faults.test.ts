import type { Knex } from 'knex';
import { createKnexFromUrl, SqlIo, SqlIoError } from '../../../src/adapters/sql';
import { makeLoginEmail, makeUser, makeVerificationCode } from '../../../src/testing';
import { describeDb, SERVER_URLS } from '../../support/databases';

/** The server-side ids of the connections a knex pool holds (mysql2 `threadId`, pg `processID`). */
function serverConnectionIds(knex: Knex): number[] {
  const pool = knex.client.pool as {
    used: Array<{ resource: Record<string, unknown> }>;
    free: Array<{ resource: Record<string, unknown> }>;
  };
  return [...pool.used, ...pool.free].map(({ resource }) => Number(resource.threadId ?? resource.processID));
}

/** Kills, from another connection, the server connections of a pool, as a crash or a failover would. */
async function killConnections(kind: 'mariadb' | 'postgres', knex: Knex): Promise<number> {
  const ids = serverConnectionIds(knex);
  const admin = createKnexFromUrl(SERVER_URLS[kind], { pool: { min: 0, max: 1 } });
  try {
    for (const id of ids) {
      await admin.raw(kind === 'mariadb' ? `kill ${id}` : `select pg_terminate_backend(${id})`);
    }
    return ids.length;
  } finally {
    await admin.destroy();
  }
}

for (const kind of ['mariadb', 'postgres'] as const) {
  describeDb(kind, 'SqlIo when the database connection fails', (database) => {
    let knex: Knex;

    beforeEach(() => {
      // One connection, so the connection killed is the one the transaction runs on.
      const silent = { warn() {}, error() {}, debug() {}, deprecate() {} };
      knex = database().connect({ pool: { min: 0, max: 1 }, knex: { log: silent } });
    });

    afterEach(async () => {
      await knex.destroy();
    });

    it('fails a registration whose connection dies between statements, writes none of it, then works again', async () => {
      const io = new SqlIo(knex);
      const user = makeUser();
      const email = makeLoginEmail({ userId: user.id });
      const code = makeVerificationCode({ purpose: 'verify-email', address: email.address });

      const registration = io.transaction(async (tx) => {
        await tx.insertUser(user);
        await tx.insertLoginEmail(email);
        expect(await killConnections(kind, knex)).toBe(1);
        await tx.insertVerificationCode(code);
      });

      const error = await registration.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SqlIoError);
      expect((error as SqlIoError).operation).toBe('insertVerificationCode');

      const check = new SqlIo(database().knex);
      expect(await check.findUserById(user.id)).toBeNull();
      expect(await check.findLoginEmail(email.address)).toBeNull();

      const retried = makeUser();
      await io.insertUser(retried);
      expect(await io.findUserById(retried.id)).toStrictEqual(retried);
    });

    it('works again once the pool has noticed that its idle connection was killed', async () => {
      const io = new SqlIo(knex);
      await io.insertUser(makeUser());
      expect(await killConnections(kind, knex)).toBe(1);
      await poolNoticedTheLoss(knex);
      const next = makeUser();
      await io.insertUser(next);
      expect(await io.findUserById(next.id)).toStrictEqual(next);
    });
  });
}

/** Waits for the driver's close event (a request arriving in between would fail and be reported). */
async function poolNoticedTheLoss(knex: Knex): Promise<void> {
  const pool = knex.client.pool as { free: Array<{ resource: { __knex__disposed?: unknown } }> };
  for (let waited = 0; waited < 5000; waited += 10) {
    if (pool.free.every(({ resource }) => resource.__knex__disposed)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the pool never noticed the killed connection');
}
