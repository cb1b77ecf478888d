import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import {
  currentSchemaVersion,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS_TABLE,
  migrate,
  SqlIo,
} from '../../../src/adapters/sql';
import { makeLoginEmail, makeUser } from '../../../src/testing';
import { createTestDatabase, describeDb, type TestDatabase } from '../../support/databases';

const SCHEMA_SQL = readFileSync(join(__dirname, '../../../db/schema.sql'), 'utf8');

/** What information_schema says about a database's tables, columns, indexes and foreign keys. */
async function describeSchema(knex: Knex, database: string): Promise<Record<string, unknown[]>> {
  const rows = async (sql: string): Promise<unknown[]> => {
    const [result] = (await knex.raw(sql, [database])) as [unknown[]];
    return result.map((row) => ({ ...(row as object) }));
  };
  return {
    tables: await rows(
      `select TABLE_NAME, ENGINE, TABLE_COLLATION from information_schema.TABLES
       where TABLE_SCHEMA = ? order by TABLE_NAME`,
    ),
    columns: await rows(
      `select TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT,
              CHARACTER_SET_NAME, COLLATION_NAME, EXTRA
       from information_schema.COLUMNS where TABLE_SCHEMA = ? order by TABLE_NAME, ORDINAL_POSITION`,
    ),
    indexes: await rows(
      `select TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE, SUB_PART
       from information_schema.STATISTICS where TABLE_SCHEMA = ? order by TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    ),
    foreignKeys: await rows(
      `select r.TABLE_NAME, r.CONSTRAINT_NAME, k.COLUMN_NAME, r.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME,
              r.UPDATE_RULE, r.DELETE_RULE
       from information_schema.REFERENTIAL_CONSTRAINTS r
       join information_schema.KEY_COLUMN_USAGE k
         on k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA and k.CONSTRAINT_NAME = r.CONSTRAINT_NAME
        and k.TABLE_NAME = r.TABLE_NAME
       where r.CONSTRAINT_SCHEMA = ? order by r.TABLE_NAME, r.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    ),
  };
}

const databaseName = (database: TestDatabase): string => new URL(database.url).pathname.slice(1);

describeDb('mariadb', 'db/schema.sql', (migrated) => {
  let loaded: TestDatabase;

  beforeAll(async () => {
    loaded = await createTestDatabase('mariadb', { migrate: false });
    const multi = loaded.connect({
      knex: { connection: { ...(loaded.knex.client.config.connection as object), multipleStatements: true } },
    });
    try {
      await multi.raw(SCHEMA_SQL);
    } finally {
      await multi.destroy();
    }
  });

  afterAll(async () => {
    await loaded?.drop();
  });

  it('creates the same tables, columns, indexes and foreign keys as the migrations', async () => {
    const fromSchema = await describeSchema(loaded.knex, databaseName(loaded));
    const fromMigrations = await describeSchema(migrated().knex, databaseName(migrated()));
    expect(fromSchema.tables.length).toBeGreaterThanOrEqual(12);
    expect(fromSchema).toEqual(fromMigrations);
  });

  it('records the migrations it stands for, so migrate() afterwards applies nothing', async () => {
    const recorded = await loaded.knex(MIGRATIONS_TABLE).pluck('name');
    const applied = await migrated().knex(MIGRATIONS_TABLE).pluck('name');
    expect(recorded).toEqual(applied);
    expect(await migrate(loaded.knex)).toEqual([]);
    expect(await currentSchemaVersion(loaded.knex)).toBe(LATEST_SCHEMA_VERSION);
  });

  it('serves SqlIo as a migrated database does', async () => {
    const io = new SqlIo(loaded.knex);
    const user = makeUser();
    const email = makeLoginEmail({ userId: user.id });
    await io.transaction(async (tx) => {
      await tx.insertUser(user);
      await tx.insertLoginEmail(email);
    });
    expect(await io.findUserByEmail(email.address)).toStrictEqual({ user, email });
  });
});
