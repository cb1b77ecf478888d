import { currentSchemaVersion, LATEST_SCHEMA_VERSION, migrate, rollback, SqlIo } from '../../../src/adapters/sql';
import { makeUser } from '../../../src/testing';
import { createTestDatabase, describeEachDb, type TestDatabase } from '../../support/databases';

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
    expect(await migrate(knex)).toEqual([LATEST_SCHEMA_VERSION]);
    expect(await migrate(knex)).toEqual([]);
    expect(await currentSchemaVersion(knex)).toBe(LATEST_SCHEMA_VERSION);
  });

  it('applies the migrations once when several instances start at the same moment', async () => {
    const database = await freshDatabase();
    const pools = [database.knex, database.connect(), database.connect()];
    try {
      const applied = await Promise.all(pools.map((pool) => migrate(pool)));
      expect(applied.flat()).toEqual([LATEST_SCHEMA_VERSION]);
    } finally {
      await Promise.all(pools.slice(1).map((pool) => pool.destroy()));
    }
  });

  it('rolls every migration back, and the schema can be built again', async () => {
    const { knex } = await freshDatabase();
    await migrate(knex);
    expect(await rollback(knex)).toEqual([LATEST_SCHEMA_VERSION]);
    expect(await knex.schema.hasTable('users')).toBe(false);
    expect(await migrate(knex)).toEqual([LATEST_SCHEMA_VERSION]);
    const io = new SqlIo(knex);
    const user = makeUser();
    await io.insertUser(user);
    expect(await io.findUserById(user.id)).toStrictEqual(user);
  });
});
