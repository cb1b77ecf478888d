import { SqlIo, SqlRateLimitStore } from '../../../src/adapters/sql';
import { runIoConformanceTests, runRateLimitStoreConformanceTests } from '../../../src/testing';
import { describeEachDb } from '../../support/databases';

describeEachDb('SQL adapter', (database) => {
  runIoConformanceTests('SqlIo', { create: async () => new SqlIo(database().knex) });
  runRateLimitStoreConformanceTests('SqlRateLimitStore', {
    create: async () => new SqlRateLimitStore(database().knex),
  });
});
