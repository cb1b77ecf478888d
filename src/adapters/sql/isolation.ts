/**
 * Pools whose MySQL connections were all set to READ COMMITTED when they were opened
 * (`createKnexFromUrl`). `SqlIo` runs its transactions at READ COMMITTED on MySQL (see
 * `SqlIo.transaction`); on these pools it needs no `SET TRANSACTION ISOLATION LEVEL` round trip
 * before each `BEGIN`, which is one statement in every transaction (a refresh has six).
 */
const readCommittedPools = new WeakSet<object>();

export const READ_COMMITTED_SESSION_SQL = 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED';

export function markReadCommittedPool(knex: object): void {
  readCommittedPools.add(knex);
}

export function opensReadCommittedSessions(knex: object): boolean {
  return readCommittedPools.has(knex);
}
