import { SqlIo, SqlRateLimitStore } from '../../../src/adapters/sql';
import { runIoConformanceTests, runRateLimitStoreConformanceTests } from '../../../src/testing';
import { describeDb, describeEachDb } from '../../support/databases';

/** The store as it runs on MySQL 8, which has no `INSERT … RETURNING`: an upsert, then a plain read. */
class WithoutReturning extends SqlRateLimitStore {
  protected override upsertCanReturn(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

describeEachDb('SQL adapter', (database) => {
  runIoConformanceTests('SqlIo', { create: async () => new SqlIo(database().knex) });
  runRateLimitStoreConformanceTests('SqlRateLimitStore', {
    create: async () => new SqlRateLimitStore(database().knex),
  });
});

// MariaDB speaks both: the MySQL 8 path is checked on it too.
describeDb('mariadb', 'SQL adapter without RETURNING (as on MySQL 8)', (database) => {
  runRateLimitStoreConformanceTests('SqlRateLimitStore', { create: async () => new WithoutReturning(database().knex) });
});
