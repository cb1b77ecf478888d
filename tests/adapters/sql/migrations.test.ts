import knexFactory, { type Knex } from 'knex';
import {
  currentSchemaVersion,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS_TABLE,
  migrate,
  rollback,
  SCHEMA_VERSIONS,
  SqlIo,
} from '../../../src/adapters/sql';
import { makeUser } from '../../../src/testing';
import { createTestDatabase, describeEachDb, type TestDatabase } from '../../support/databases';

const LOCK_TABLE = `${MIGRATIONS_TABLE}_lock`;

describeEachDb('migrate()', (migratedDatabase) => {
  let fresh: TestDatabase | undefined;
  const freshDatabase = async (): Promise<TestDatabase> => {
    fresh = await createTestDatabase(migratedDatabase().kind, { migrate: false });
    return fresh;
  };

  afterEach(async () => {
    await fresh?.drop();
    fresh = undefined;
  });

  it('applies every migration to an empty database, then nothing when run again', async () => {
    const { knex } = await freshDatabase();
    expect(await currentSchemaVersion(knex)).toBeNull();
    expect(await migrate(knex)).toEqual([...SCHEMA_VERSIONS]);
    expect(await migrate(knex)).toEqual([]);
    expect(await currentSchemaVersion(knex)).toBe(LATEST_SCHEMA_VERSION);
  });

  it('applies the migrations once when several instances start at the same moment', async () => {
    const database = await freshDatabase();
    const pools = [database.knex, database.connect(), database.connect()];
    try {
      const applied = await Promise.all(pools.map((pool) => migrate(pool)));
      expect(applied.flat()).toEqual([...SCHEMA_VERSIONS]);
    } finally {
      await Promise.all(pools.slice(1).map((pool) => pool.destroy()));
    }
  });

  it('releases every lock when a migration fails, so another instance can migrate right after', async () => {
    const database = await freshDatabase();
    // The first migration creates `users`: a table already there makes its `up` throw.
    await database.knex.schema.createTable('users', (table) => table.string('id'));
    // Not `rejects.toThrow`: better-sqlite3's native addon keeps the SqliteError class of the first test
    // file that loaded it, so in a later file the error is no `Error` of this realm and Jest ignores it.
    const failure = await migrate(database.knex, { lockTimeoutMs: 1000 }).then(
      () => 'resolved',
      (error: { message?: unknown }) => String(error.message),
    );
    expect(failure).toMatch(/users.*already exists/);
    await database.knex.schema.dropTable('users');

    // A lock left behind (knex's or the advisory one) would make this wait, then fail with MigrationLocked.
    const otherInstance = database.connect();
    try {
      expect(await migrate(otherInstance, { lockTimeoutMs: 1000 })).toEqual([...SCHEMA_VERSIONS]);
    } finally {
      await otherInstance.destroy();
    }
    expect(await database.knex(LOCK_TABLE).select('is_locked')).toEqual([{ is_locked: 0 }]);
  });

  it('repairs the duplicate lock row that concurrent first runs of knex can leave behind', async () => {
    const { knex } = await freshDatabase();
    await migrate(knex);
    await knex(LOCK_TABLE).insert({ is_locked: 0 });

    // With two lock rows knex can never take its lock: this would fail with MigrationLocked.
    expect(await migrate(knex, { lockTimeoutMs: 1000 })).toEqual([]);
    expect(await knex(LOCK_TABLE).select('is_locked')).toEqual([{ is_locked: 0 }]);
  });

  it('migrates a pool whose connection settings come from a function (rotating credentials)', async () => {
    const database = await freshDatabase();
    const { connection, ...rest } = database.knex.client.config as Knex.Config;
    const rotating = knexFactory({ ...rest, connection: async () => structuredClone(connection) as never });
    try {
      expect(await migrate(rotating, { lockTimeoutMs: 1000 })).toEqual([...SCHEMA_VERSIONS]);
    } finally {
      await rotating.destroy();
    }
  });

  it.each([Number.POSITIVE_INFINITY, Number.NaN, -1])('refuses a lockTimeoutMs of %p', async (lockTimeoutMs) => {
    await expect(migrate(migratedDatabase().knex, { lockTimeoutMs })).rejects.toThrow(RangeError);
  });

  it('rolls every migration back, and the schema can be built again', async () => {
    const { knex } = await freshDatabase();
    await migrate(knex);
    expect(await rollback(knex)).toEqual([...SCHEMA_VERSIONS].reverse());
    expect(await knex.schema.hasTable('users')).toBe(false);
    expect(await migrate(knex)).toEqual([...SCHEMA_VERSIONS]);
    const io = new SqlIo(knex);
    const user = makeUser();
    await io.insertUser(user);
    expect(await io.findUserById(user.id)).toStrictEqual(user);
  });
});
