/**
 * `npm run bench:profile -- <case>`: where one hot path spends its time. Runs one case of the bench
 * (same seed, same closed loop of 16 in flight) beside its bare baseline under the V8 CPU profiler,
 * and prints the SQL round trips per operation (statements reported to knex's `query` listeners,
 * transaction control included) and the top self-time functions of each. This is how the
 * "what bounds it" column of the README's Performance table was found.
 *
 * Cases: sqlite.strict, mariadb.strict, postgres.strict, mariadb.key-auth, mariadb.refresh,
 * postgres.refresh. Knobs: BENCH_SECONDS (default 4), BENCH_USERS (default 2000), BENCH_TOP (15).
 */
import { Session } from 'node:inspector/promises';
import { createAccounts, DefaultLib, type Emailer, SqlIo, SqlRateLimitStore } from '../src';
import { keyAuthentication, primaryKeySelect, refresh, strictValidation } from './cases';
import { DB_LABEL, type DbKind, openBenchDatabase } from './databases';
import { type CaseSpec, measureInterleaved } from './harness';
import { makeDataset, seedDatabase } from './seed';

const CASES: Record<string, { kind: DbKind; build: typeof refresh }> = {
  'sqlite.strict': { kind: 'sqlite', build: (id, accounts, dataset) => strictValidation(id, id, accounts, dataset) },
  'mariadb.strict': { kind: 'mariadb', build: (id, accounts, dataset) => strictValidation(id, id, accounts, dataset) },
  'postgres.strict': {
    kind: 'postgres',
    build: (id, accounts, dataset) => strictValidation(id, id, accounts, dataset),
  },
  'mariadb.key-auth': { kind: 'mariadb', build: keyAuthentication },
  'mariadb.refresh': { kind: 'mariadb', build: refresh },
  'postgres.refresh': { kind: 'postgres', build: refresh },
};

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self time per function (name, file, line), as a share of all samples, highest first. */
function topSelfTime(nodes: ProfileNode[], top: number): Array<{ share: number; where: string }> {
  const hits = new Map<string, number>();
  let total = 0;
  for (const node of nodes) {
    const count = node.hitCount ?? 0;
    total += count;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
    const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    hits.set(key, (hits.get(key) ?? 0) + count);
  }
  return [...hits.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, count]) => ({ share: count / Math.max(1, total), where }));
}

async function profiled(spec: CaseSpec, seconds: number) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const [measurement] = await measureInterleaved([spec], {
    seconds,
    sliceMs: 500,
    warmupMs: 500,
    concurrency: 16,
    loadLeadMs: 0,
  });
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  return { measurement: measurement!, nodes: profile.nodes as ProfileNode[] };
}

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const chosen = CASES[name];
  if (!chosen) {
    process.stderr.write(`usage: npm run bench:profile -- <case>\ncases: ${Object.keys(CASES).join(', ')}\n`);
    process.exit(2);
  }
  const seconds = Number(process.env.BENCH_SECONDS ?? 4);
  const top = Number(process.env.BENCH_TOP ?? 15);
  const discarding: Emailer = { send: async () => undefined };
  const lib = new DefaultLib({
    tokens: { secret: 'bench-secret-bench-secret-bench-secret-bench-secret' },
    emailer: discarding,
    config: { accessTokenTtlMs: 6 * 3_600_000 },
  });
  const opened = await openBenchDatabase(chosen.kind);
  if ('skipped' in opened) throw new Error(`${DB_LABEL[chosen.kind]} is not reachable: ${opened.skipped}`);
  try {
    const dataset = await makeDataset(lib, Number(process.env.BENCH_USERS ?? 2000), 2000);
    const io = new SqlIo(opened.knex);
    await seedDatabase(io, lib, dataset);
    const accounts = createAccounts({ io, lib, rateLimits: new SqlRateLimitStore(opened.knex) });
    const spec = chosen.build(name, accounts, dataset, DB_LABEL[chosen.kind]);

    let statements = 0;
    const countStatement = () => {
      statements += 1;
    };
    opened.knex.on('query', countStatement);
    let operations = 0;
    const counted: CaseSpec = {
      ...spec,
      op: async () => {
        operations += 1;
        return spec.op();
      },
    };
    const ours = await profiled(counted, seconds);
    opened.knex.off('query', countStatement);
    const baseline = await profiled(primaryKeySelect(opened, dataset), seconds);

    const report = (label: string, run: typeof ours) => {
      const m = run.measurement;
      process.stdout.write(
        `\n${label}: ${m.opsPerSec.toFixed(0)} ops/s, p50 ${m.p50Ms.toFixed(2)} ms, p99 ${m.p99Ms.toFixed(2)} ms, errors ${m.errors}\n`,
      );
      for (const { share, where } of topSelfTime(run.nodes, top)) {
        process.stdout.write(`  ${(share * 100).toFixed(1).padStart(5)}%  ${where}\n`);
      }
    };
    report(name, ours);
    process.stdout.write(`  statements per operation: ${(statements / Math.max(1, operations)).toFixed(2)}\n`);
    report(`baseline ${DB_LABEL[chosen.kind]} primary-key select`, baseline);
    process.stdout.write(
      `\nratio: ${(ours.measurement.opsPerSec / baseline.measurement.opsPerSec).toFixed(3)} of the baseline\n`,
    );
  } finally {
    await lib.close();
    await opened.close();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
