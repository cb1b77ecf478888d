/**
 * Finding 13 of the security review: the time `POST /authn/email` and `POST /emails/resend-verification`
 * take must not tell a known address from an unknown one. Through the handlers, on SQLite with the SQL
 * rate-limit store (as the example server runs), 200 known and 200 unknown addresses are sent
 * interleaved (each address once, each request from its own IP, so no limit is ever reached and both
 * kinds do the same work), with an emailer that takes a few milliseconds like a mail relay would.
 * The acceptance: the medians of the two kinds within 10% of each other.
 */
import { DefaultLib, type Emailer } from '../src/adapters/lib';
import { createKnexFromUrl, migrate, SqlIo, SqlRateLimitStore } from '../src/adapters/sql';
import { createAccounts } from '../src/create-accounts';
import { createHandlers } from '../src/handlers';

const SAMPLES = 200;

/** Stands in for an SMTP relay: every send takes a few milliseconds, off the request's path. */
class RelayLikeEmailer implements Emailer {
  async send(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
}

export interface TimingComparison {
  route: string;
  known: { p50: number; p99: number };
  unknown: { p50: number; p99: number };
  /** median(known) / median(unknown). */
  ratio: number;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

export async function enumerationTiming(): Promise<TimingComparison[]> {
  const knex = createKnexFromUrl('sqlite::memory:');
  await migrate(knex);
  const lib = new DefaultLib({
    tokens: { secret: 'bench-secret-bench-secret-bench-secret!' },
    emailer: new RelayLikeEmailer(),
    passwords: { bcryptCost: 4 },
  });
  const accounts = createAccounts({ io: new SqlIo(knex), lib, rateLimits: new SqlRateLimitStore(knex) });
  const handlers = createHandlers(accounts);
  let nextIp = 0;
  const ip = () => {
    nextIp += 1;
    return `10.${(nextIp >> 16) & 255}.${(nextIp >> 8) & 255}.${nextIp & 255}`;
  };

  const known = Array.from({ length: 2 * SAMPLES }, (_, i) => `known${i}@example.com`);
  for (const email of known) {
    const registered = await accounts.users.register({ name: 'Known', email }, { ip: ip(), userAgent: null });
    if (registered.err) throw new Error(registered.val.message);
  }
  await accounts.settled();

  const timeOne = async (path: string, body: unknown): Promise<number> => {
    const started = process.hrtime.bigint();
    const response = await handlers.dispatch({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      remoteAddress: ip(),
    });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (response.status !== 202) throw new Error(`${path} answered ${response.status}`);
    return elapsed;
  };

  const compare = async (
    route: string,
    bodyFor: (email: string) => unknown,
    knownAddresses: string[],
  ): Promise<TimingComparison> => {
    const times = { known: [] as number[], unknown: [] as number[] };
    // A warm-up of both kinds, not counted.
    for (let i = 0; i < 20; i++) await timeOne(route, bodyFor(`warmup${route.length}-${i}@example.com`));
    for (let i = 0; i < SAMPLES; i++) {
      const pair: Array<['known' | 'unknown', string]> = [
        ['known', knownAddresses[i]!],
        ['unknown', `nobody${route.length}-${i}@example.com`],
      ];
      // Alternate which kind goes first, so neither always follows the other's background work.
      if (i % 2 === 1) pair.reverse();
      for (const [kind, email] of pair) times[kind].push(await timeOne(route, bodyFor(email)));
    }
    await accounts.settled();
    const stats = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
    };
    const knownStats = stats(times.known);
    const unknownStats = stats(times.unknown);
    return { route, known: knownStats, unknown: unknownStats, ratio: knownStats.p50 / unknownStats.p50 };
  };

  const state = 'bench-state-0123456789';
  const results = [
    await compare('/authn/email', (email) => ({ email, state }), known.slice(0, SAMPLES)),
    await compare('/emails/resend-verification', (email) => ({ email }), known.slice(SAMPLES)),
  ];
  await knex.destroy();
  return results;
}
