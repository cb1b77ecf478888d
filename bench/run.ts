/**
 * `npm run bench`: the performance the design allows, each case as a ratio against a baseline
 * measured in the same process run, on the same machine, interleaved with it. Absolute numbers vary
 * between machines; the ratios are what the design relies on.
 *
 * Every case runs as a closed loop of 16 operations in flight, each issued after a `setImmediate`
 * hop (as a request read from a socket would be), after a warm-up, in slices interleaved with every
 * other case of its phase (A B C A B C …); errors are counted apart from completions, and p50/p99 of
 * the completions are shown beside their rate. The seed: 10,000 users with live sessions on each of
 * SQLite (a temporary file), MariaDB and PostgreSQL (a fresh `accounts_bench_…` database, dropped at
 * the end; a server that does not answer has its rows skipped).
 *
 * Phase 1 measures our cases and the bare baselines. Phase 2 loads better-auth (bench/package.json;
 * installed on first use), whose AsyncLocalStorage promise hooks slow every later promise of the
 * process, and measures it beside our cases measured again, so that like is compared with like.
 *
 * `npm run bench -- --json` prints the report as JSON on stdout (progress goes to stderr).
 * Knobs: BENCH_SECONDS (measured seconds per case, default 3), BENCH_SLICE_MS (500), BENCH_WARMUP_MS
 * (1000), BENCH_CONCURRENCY (16), BENCH_USERS (10000), BENCH_CLIENTS (2000), BENCH_MYSQL_URL
 * (mysql://root@127.0.0.1:3306), BENCH_PG_URL (postgres://postgres@127.0.0.1:5432), BENCH_NO_INSTALL=1.
 */
import { cpus, loadavg } from 'node:os';
import { type Accounts, createAccounts, DefaultLib, type Emailer, SqlIo, SqlRateLimitStore } from '../src';
import { bareMariaDbKeyAuthentication, bareMariaDbRefresh, barePostgresRefresh, bareStrictLookup } from './bare-sql';
import { type BetterAuthBench, ensureBetterAuthInstalled, setUpBetterAuth } from './better-auth';
import {
  bcryptCompare,
  bcryptHash,
  hmacVerify,
  jwtSecretForms,
  keyAuthentication,
  passwordLogin,
  primaryKeySelect,
  refresh,
  registration,
  sha256SecretCheck,
  statelessValidation,
  strictValidation,
  withLoad,
} from './cases';
import { type BenchDatabase, DB_LABEL, type DbKind, openBenchDatabase } from './databases';
import { enumerationTiming, type TimingComparison } from './enumeration-timing';
import { type CaseSpec, type HarnessOptions, type Measurement, measureInterleaved } from './harness';
import { buildRows, printRows, type RowSpec } from './report';
import { type Dataset, makeDataset, seedDatabase } from './seed';

const numberFromEnv = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

const SETTINGS = {
  seconds: numberFromEnv('BENCH_SECONDS', 3),
  sliceMs: numberFromEnv('BENCH_SLICE_MS', 500),
  warmupMs: numberFromEnv('BENCH_WARMUP_MS', 1000),
  concurrency: numberFromEnv('BENCH_CONCURRENCY', 16),
  users: numberFromEnv('BENCH_USERS', 10_000),
  clients: numberFromEnv('BENCH_CLIENTS', 2000),
};
const REGISTRATION_LOOPS = 4;
const LOGIN_LOOPS = 8;
const SIGN_UP_LOOPS = 4;
const TOKEN_SECRET = 'bench-secret-bench-secret-bench-secret-bench-secret';

const json = process.argv.includes('--json');
const startedAt = performance.now();
const progress = (message: string) =>
  process.stderr.write(`[bench ${((performance.now() - startedAt) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);

/** Sends nothing: registrations email a code, which is not what is measured. */
const discardingEmailer: Emailer = { send: async () => undefined };

interface Target {
  kind: DbKind;
  db: BenchDatabase;
  accounts: Accounts;
}

/** The report's comparisons, in the order of the table, then the others. */
function rowSpecs(): RowSpec[] {
  const afterBetterAuth =
    'both measured after better-auth was loaded, with its AsyncLocalStorage promise hooks in force';
  const targets = "The issue's table: what the design allows";
  const others = 'Other comparisons (no target)';
  return [
    {
      id: 'sqlite.strict',
      section: targets,
      caseId: 'sqlite.strict',
      baselineId: 'baseline.sqlite.pk-select',
      target: { kind: 'about', value: 0.43 },
    },
    {
      id: 'mariadb.strict',
      section: targets,
      caseId: 'mariadb.strict',
      baselineId: 'baseline.mariadb.pk-select',
      target: { kind: 'range', low: 0.76, high: 0.83 },
    },
    {
      id: 'postgres.strict',
      section: targets,
      caseId: 'postgres.strict',
      baselineId: 'baseline.postgres.pk-select',
      target: { kind: 'range', low: 0.76, high: 0.83 },
    },
    {
      id: 'mariadb.key-auth',
      section: targets,
      caseId: 'mariadb.key-auth',
      baselineId: 'baseline.mariadb.pk-select',
      target: { kind: 'atLeast', value: 0.3 },
    },
    {
      id: 'mariadb.refresh',
      section: targets,
      caseId: 'mariadb.refresh',
      baselineId: 'baseline.mariadb.pk-select',
      target: { kind: 'about', value: 0.17 },
    },
    {
      id: 'sqlite.strict.registrations',
      section: targets,
      caseId: 'sqlite.strict.registrations',
      baselineId: 'sqlite.strict',
      target: { kind: 'atLeast', value: 0.4 },
      note: 'baseline: the same validation unloaded',
    },
    {
      id: 'sqlite.strict.logins',
      section: targets,
      caseId: 'sqlite.strict.logins',
      baselineId: 'sqlite.strict',
      target: { kind: 'atLeast', value: 0.4, p99Within: 3 },
      note: 'baseline: the same validation unloaded; p99 compared with its p99',
    },
    {
      id: 'sqlite.strict.after',
      section: targets,
      caseId: 'sqlite.strict.after',
      baselineId: 'better-auth.get-session',
      target: { kind: 'atLeast', value: 12 },
      note: afterBetterAuth,
    },
    {
      id: 'sqlite.strict.signups',
      section: targets,
      caseId: 'sqlite.strict.signups',
      baselineId: 'better-auth.get-session.signups',
      target: { kind: 'atLeast', value: 100 },
      note: `ours while ${SIGN_UP_LOOPS} of our sign-up loops run, vs theirs while ${SIGN_UP_LOOPS} of theirs run`,
    },
    {
      id: 'sqlite.strict.after/cookie-cache',
      section: others,
      caseId: 'sqlite.strict.after',
      baselineId: 'better-auth.get-session.cookie-cache',
      note: 'no target: their cookie cache answers without reading the database, our strict validation reads it',
    },
    {
      id: 'sqlite.login',
      section: others,
      caseId: 'sqlite.login',
      baselineId: 'better-auth.sign-in',
      note: afterBetterAuth,
    },
    {
      id: 'sqlite.register',
      section: others,
      caseId: 'sqlite.register',
      baselineId: 'better-auth.sign-up',
      note: afterBetterAuth,
    },
    {
      id: 'sqlite.strict.after/before',
      section: others,
      caseId: 'sqlite.strict.after',
      baselineId: 'sqlite.strict',
      note: 'what better-auth’s promise hooks cost our validation (phases measured apart, not interleaved)',
    },
    { id: 'stateless', section: others, caseId: 'stateless', baselineId: 'baseline.hmac-verify' },
    {
      id: 'sqlite.strict/stateless',
      section: others,
      caseId: 'sqlite.strict',
      baselineId: 'stateless',
      note: 'strict over stateless validation (SPEC §3)',
    },
    {
      id: 'jwt.key-object',
      section: others,
      caseId: 'jwt.key-object',
      baselineId: 'jwt.string-secret',
      note: 'SPEC §3: why DefaultLib signs with a KeyObject',
    },
    {
      id: 'client-secret.sha256',
      section: others,
      caseId: 'client-secret.sha256',
      baselineId: 'baseline.bcrypt-compare',
      note: 'SPEC §5: how many more key checks per core SHA-256 allows than bcrypt',
    },
    {
      id: 'mariadb.key-auth/bare-sql',
      section: others,
      caseId: 'mariadb.key-auth',
      baselineId: 'baseline.mariadb.key-auth-sql',
      note: 'the library over its own two statements through bare mysql2: its overhead alone',
    },
    {
      id: 'mariadb.key-auth-sql/pk-select',
      section: others,
      caseId: 'baseline.mariadb.key-auth-sql',
      baselineId: 'baseline.mariadb.pk-select',
      note: 'what the two statements cost the database: the bound of mariadb.key-auth',
    },
    {
      id: 'mariadb.refresh/bare-sql',
      section: others,
      caseId: 'mariadb.refresh',
      baselineId: 'baseline.mariadb.refresh-sql',
      note: 'the library over its own refresh statements through bare mysql2: its overhead alone',
    },
    {
      id: 'mariadb.refresh-sql/pk-select',
      section: others,
      caseId: 'baseline.mariadb.refresh-sql',
      baselineId: 'baseline.mariadb.pk-select',
      note: 'what the refresh statements (a lock, two writes, a durable commit) cost: the bound of mariadb.refresh',
    },
    {
      id: 'postgres.refresh',
      section: others,
      caseId: 'postgres.refresh',
      baselineId: 'baseline.postgres.pk-select',
    },
    {
      id: 'postgres.refresh/bare-sql',
      section: others,
      caseId: 'postgres.refresh',
      baselineId: 'baseline.postgres.refresh-sql',
      note: 'the library over its own refresh statements through bare pg',
    },
    {
      id: 'sqlite.strict/bare-sql',
      section: others,
      caseId: 'sqlite.strict',
      baselineId: 'baseline.sqlite.strict-sql',
      note: 'strict validation over its one join through bare better-sqlite3: the JWT verify and the library around it',
    },
    {
      id: 'sqlite.strict-sql/pk-select',
      section: others,
      caseId: 'baseline.sqlite.strict-sql',
      baselineId: 'baseline.sqlite.pk-select',
      note: 'the join of a session and its user over a one-table primary-key select',
    },
    {
      id: 'mariadb.strict/bare-sql',
      section: others,
      caseId: 'mariadb.strict',
      baselineId: 'baseline.mariadb.strict-sql',
      note: 'strict validation over its one join through bare mysql2: the JWT verify and the library around it',
    },
    {
      id: 'mariadb.strict-sql/pk-select',
      section: others,
      caseId: 'baseline.mariadb.strict-sql',
      baselineId: 'baseline.mariadb.pk-select',
      note: 'the join of a session and its user over a one-table primary-key select',
    },
    {
      id: 'postgres.strict/bare-sql',
      section: others,
      caseId: 'postgres.strict',
      baselineId: 'baseline.postgres.strict-sql',
      note: 'strict validation over its one join through bare pg: the JWT verify and the library around it',
    },
    {
      id: 'postgres.strict-sql/pk-select',
      section: others,
      caseId: 'baseline.postgres.strict-sql',
      baselineId: 'baseline.postgres.pk-select',
      note: 'the join of a session and its user over a one-table primary-key select',
    },
  ];
}

function phaseOneCases(targets: Target[], dataset: Dataset, hashSecret: (secret: string) => string): CaseSpec[] {
  const cases: CaseSpec[] = [hmacVerify(TOKEN_SECRET, dataset)];
  const bySqlite = targets.find((t) => t.kind === 'sqlite')!;
  cases.push(statelessValidation('stateless', bySqlite.accounts, dataset));
  cases.push(...jwtSecretForms(TOKEN_SECRET), sha256SecretCheck());
  cases.push(bcryptCompare(dataset.users[0]!.user.passwordHash!), bcryptHash());
  for (const { kind, db, accounts } of targets) {
    const label = DB_LABEL[kind];
    const strict = strictValidation(
      `${kind}.strict`,
      `strict validation (\`sessions.authenticate\`), ${label}`,
      accounts,
      dataset,
    );
    cases.push(primaryKeySelect(db, dataset), strict, bareStrictLookup(db, dataset));
    if (kind === 'sqlite') {
      cases.push(
        withLoad(
          strictValidation(
            'sqlite.strict.registrations',
            `strict validation, SQLite, while ${REGISTRATION_LOOPS} registration loops run`,
            accounts,
            dataset,
          ),
          {
            label: `${REGISTRATION_LOOPS} registration loops (bcrypt cost 10)`,
            loops: REGISTRATION_LOOPS,
            op: registration(accounts, 'load'),
          },
        ),
        withLoad(
          strictValidation(
            'sqlite.strict.logins',
            `strict validation, SQLite, while ${LOGIN_LOOPS} password logins run`,
            accounts,
            dataset,
          ),
          {
            label: `${LOGIN_LOOPS} password login loops (bcrypt cost 10)`,
            loops: LOGIN_LOOPS,
            op: passwordLogin(accounts, dataset),
          },
        ),
      );
    }
    // Refresh consumes tokens: ours and the bare-driver twin take separate halves of the sessions.
    const half = Math.floor(dataset.users.length / 2);
    const ours = { ...dataset, users: dataset.users.slice(0, half) };
    const twins = { ...dataset, users: dataset.users.slice(half) };
    if (kind === 'mariadb') {
      cases.push(
        keyAuthentication('mariadb.key-auth', accounts, dataset, label),
        bareMariaDbKeyAuthentication(db, dataset),
        refresh('mariadb.refresh', accounts, ours, label),
        bareMariaDbRefresh(db, twins, hashSecret),
      );
    }
    if (kind === 'postgres') {
      cases.push(refresh('postgres.refresh', accounts, ours, label), barePostgresRefresh(db, twins, hashSecret));
    }
  }
  return cases;
}

function phaseTwoCases(sqlite: Target, dataset: Dataset, theirs: BetterAuthBench): CaseSpec[] {
  const { accounts } = sqlite;
  return [
    strictValidation(
      'sqlite.strict.after',
      'strict validation, SQLite, after better-auth was loaded',
      accounts,
      dataset,
    ),
    theirs.getSession,
    theirs.getSessionCookieCache,
    {
      id: 'sqlite.login',
      label: 'our password login (bcrypt cost 10, worker thread), SQLite',
      op: passwordLogin(accounts, dataset),
    },
    theirs.signIn,
    { id: 'sqlite.register', label: 'our registration (bcrypt cost 10), SQLite', op: registration(accounts, 'after') },
    theirs.signUp,
    withLoad(
      strictValidation(
        'sqlite.strict.signups',
        `strict validation, SQLite, while ${SIGN_UP_LOOPS} of our sign-up loops run`,
        accounts,
        dataset,
      ),
      {
        label: `${SIGN_UP_LOOPS} of our registration loops`,
        loops: SIGN_UP_LOOPS,
        op: registration(accounts, 'beside'),
      },
    ),
    theirs.getSessionUnderSignUps(SIGN_UP_LOOPS),
  ];
}

function printEnumeration(results: TimingComparison[], print: (line: string) => void): void {
  print('Known vs unknown addresses, 200 interleaved samples each (SPEC §4; security review finding 13)');
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  for (const { route, known, unknown, ratio } of results) {
    const within = Math.abs(ratio - 1) <= 0.1;
    print(
      `  POST ${route.padEnd(28)} known p50 ${ms(known.p50).padStart(10)} p99 ${ms(known.p99).padStart(10)}   ` +
        `unknown p50 ${ms(unknown.p50).padStart(10)} p99 ${ms(unknown.p99).padStart(10)}   ` +
        `ratio of medians ${ratio.toFixed(3)}, ${within ? 'within' : 'NOT within'} 10% (the acceptance)`,
    );
  }
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    for (const close of cleanups.splice(0).reverse()) await close().catch((error) => progress(`clean-up: ${error}`));
  };
  process.once('SIGINT', () => {
    progress('interrupted: dropping the bench databases');
    void cleanUp().finally(() => process.exit(130));
  });

  const skipped: Array<{ id: string; reason: string }> = [];
  const betterAuthProblem = ensureBetterAuthInstalled(progress);
  // The loads (registrations, logins, sign-ups) get a head start, so the measured loops meet them running.
  const harness: HarnessOptions = { ...SETTINGS, loadLeadMs: 250, progress };
  let enumeration: TimingComparison[] = [];
  const measured = new Map<string, Measurement>();
  try {
    const lib = new DefaultLib({
      tokens: { secret: TOKEN_SECRET },
      passwords: { bcryptCost: 10 },
      emailer: discardingEmailer,
      // Long enough that no seeded access token expires during a long run.
      config: { accessTokenTtlMs: 6 * 3_600_000 },
    });
    cleanups.push(() => lib.close());
    progress(`making the dataset: ${SETTINGS.users} users with live sessions, ${SETTINGS.clients} API clients`);
    const dataset = await makeDataset(lib, SETTINGS.users, SETTINGS.clients);

    const targets: Target[] = [];
    for (const kind of ['sqlite', 'mariadb', 'postgres'] as const) {
      const opened = await openBenchDatabase(kind);
      if ('skipped' in opened) {
        progress(`SKIPPED ${DB_LABEL[kind]} rows: ${opened.skipped}`);
        skipped.push({ id: `${kind}.*`, reason: opened.skipped });
        continue;
      }
      cleanups.push(() => opened.close());
      progress(`seeding ${DB_LABEL[kind]}`);
      const io = new SqlIo(opened.knex);
      await seedDatabase(io, lib, dataset);
      const accounts = createAccounts({ io, lib, rateLimits: new SqlRateLimitStore(opened.knex) });
      targets.push({ kind, db: opened, accounts });
    }

    progress('phase 1: our cases and the bare baselines, before better-auth is loaded');
    for (const m of await measureInterleaved(
      phaseOneCases(targets, dataset, (secret) => lib.hashSecret(secret)),
      harness,
    ))
      measured.set(m.id, m);

    progress('known vs unknown address timing (enumeration)');
    enumeration = await enumerationTiming();

    if (betterAuthProblem !== null) {
      progress(`SKIPPED better-auth rows: ${betterAuthProblem}`);
      skipped.push({ id: 'better-auth.*', reason: betterAuthProblem });
    } else {
      const theirs = await setUpBetterAuth(SETTINGS.users, progress);
      cleanups.push(() => theirs.close());
      progress('phase 2: better-auth beside our cases measured again');
      const sqlite = targets.find((t) => t.kind === 'sqlite')!;
      for (const m of await measureInterleaved(phaseTwoCases(sqlite, dataset, theirs), harness)) measured.set(m.id, m);
    }
  } finally {
    await cleanUp();
  }

  const { rows, missing } = buildRows(rowSpecs(), measured);
  for (const spec of missing) {
    const absent = [spec.caseId, spec.baselineId].filter((id) => id !== undefined && !measured.has(id));
    skipped.push({ id: spec.id, reason: `row not computed: ${absent.join(' and ')} not measured` });
  }
  const cpuList = cpus();
  const cpu = `${cpuList[0]?.model.trim() ?? 'unknown'} × ${cpuList.length}`;
  const seconds = (performance.now() - startedAt) / 1000;
  if (json) {
    const report = {
      node: process.version,
      cpu,
      loadavg: loadBefore,
      loadavg_end: loadavg(),
      settings: {
        ...SETTINGS,
        registration_loops: REGISTRATION_LOOPS,
        login_loops: LOGIN_LOOPS,
        sign_up_loops: SIGN_UP_LOOPS,
      },
      duration_s: Number(seconds.toFixed(1)),
      results: rows,
      skipped,
      enumeration,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const print = (line: string) => console.log(line);
  const fmt = (values: number[]) => values.map((v) => v.toFixed(2)).join(' ');
  print(
    `accounts-module benchmarks: Node ${process.version}, ${cpu}, loadavg ${fmt(loadBefore)} at start, ${fmt(loadavg())} at end`,
  );
  print(
    `${SETTINGS.concurrency} operations in flight, each after a setImmediate hop; ${SETTINGS.seconds} s per case in ` +
      `${SETTINGS.sliceMs} ms slices interleaved with the other cases of its phase, after a ${SETTINGS.warmupMs} ms warm-up; ` +
      `seed: ${SETTINGS.users} users with live sessions, ${SETTINGS.clients} API clients at the default reqsPerSec (10)`,
  );
  print(
    'ratio: ops/s of the case / ops/s of its baseline, both measured in this run. Targets: "~x" holds at 0.85·x or more, "a–b" at a or more.',
  );
  print('');
  printRows(rows, print);
  print('');
  printEnumeration(enumeration, print);
  for (const { id, reason } of skipped) print(`SKIPPED ${id}: ${reason}`);
  print(`\nran in ${seconds.toFixed(0)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
