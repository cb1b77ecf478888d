import {
  databasesRequired,
  probeRedis,
  probeServer,
  recordRedisStatus,
  recordServerStatus,
  redisUnreachableMessage,
  type ServerKind,
  unreachableMessage,
} from './databases';

/**
 * Runs once before all test files, in the parent process: probes the database servers and Redis so that
 * tests/support/databases.ts can decide, when suites are declared, whether to run, skip (with the
 * reason printed here, once) or fail them. Workers inherit the outcome through process.env.
 */
export default async function globalSetup(): Promise<void> {
  const kinds: ServerKind[] = ['mariadb', 'postgres'];
  const [redisProblem, ...problems] = await Promise.all([probeRedis(), ...kinds.map((kind) => probeServer(kind))]);
  kinds.forEach((kind, index) => {
    const problem = problems[index];
    recordServerStatus(kind, problem);
    if (problem === null) return;
    const verdict = databasesRequired() ? 'FAILING (ACCOUNTS_TEST_REQUIRE_DBS=1)' : 'SKIPPED';
    console.warn(`\n${verdict} ${kind} suites: ${unreachableMessage(kind, problem)}`);
  });
  recordRedisStatus(redisProblem);
  if (redisProblem !== null) {
    const verdict = databasesRequired() ? 'FAILING (ACCOUNTS_TEST_REQUIRE_DBS=1)' : 'SKIPPED';
    console.warn(`\n${verdict} redis suites: ${redisUnreachableMessage(redisProblem)}`);
  }
}
