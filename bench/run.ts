/**
 * `npm run bench`: the performance claims of SPEC §3, §5 and §8, each measured as a ratio against a
 * baseline run in the same process, on the same machine, at the same moment. Absolute numbers vary
 * between machines; the ratios are what the design relies on.
 *
 * Set BENCH_SECONDS to change how long each case runs (default 1).
 */
import { createHash, createSecretKey } from 'node:crypto';
import bcrypt from 'bcryptjs';
import jwt from 'jsonwebtoken';
import { DefaultLib, RecordingEmailer } from '../src/adapters/lib';
import { MemoryRateLimitStore } from '../src/adapters/memory';
import { createKnexFromUrl, migrate, SqlIo } from '../src/adapters/sql';
import { createAccounts } from '../src/create-accounts';
import { enumerationTiming } from './enumeration-timing';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);

interface Measured {
  name: string;
  opsPerSecond: number;
}

/** Runs `work` repeatedly for the configured time (after a short warm-up) and reports operations per second. */
async function measure(name: string, work: () => unknown): Promise<Measured> {
  const warmUntil = performance.now() + 200;
  while (performance.now() < warmUntil) await work();
  let count = 0;
  const started = performance.now();
  const until = started + SECONDS * 1000;
  while (performance.now() < until) {
    await work();
    count += 1;
  }
  return { name, opsPerSecond: count / ((performance.now() - started) / 1000) };
}

function report(title: string, baseline: Measured, candidate: Measured, claim: string): void {
  const ratio = candidate.opsPerSecond / baseline.opsPerSecond;
  console.log(`\n${title}`);
  for (const m of [baseline, candidate])
    console.log(`  ${m.name.padEnd(48)} ${m.opsPerSecond.toFixed(0).padStart(10)} ops/s`);
  console.log(`  ratio ${ratio.toFixed(1)}× — ${claim}`);
}

async function jwtKeyForm(): Promise<void> {
  const secret = 'a-long-random-hs256-secret-of-32-bytes-or-more';
  const key = createSecretKey(Buffer.from(secret));
  const payload = { sub: 'usr_1', sid: 'ses_1', roles: ['user'] };
  const withString = await measure('sign + verify, secret as a string', () =>
    jwt.verify(jwt.sign(payload, secret, { algorithm: 'HS256' }), secret, { algorithms: ['HS256'] }),
  );
  const withKeyObject = await measure('sign + verify, secret as a KeyObject', () =>
    jwt.verify(jwt.sign(payload, key, { algorithm: 'HS256' }), key, { algorithms: ['HS256'] }),
  );
  report(
    'HS256 access tokens (SPEC §3)',
    withString,
    withKeyObject,
    'how much faster a KeyObject is than a string secret',
  );
}

async function keySecretHash(): Promise<void> {
  const secret = 'Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg';
  const hash = createHash('sha256').update(secret).digest('hex');
  const slow = bcrypt.hashSync(secret, 10);
  const bcryptCheck = await measure('check a client secret with bcrypt (cost 10)', () => bcrypt.compare(secret, slow));
  const shaCheck = await measure(
    'check a client secret with SHA-256',
    () => createHash('sha256').update(secret).digest('hex') === hash,
  );
  report('Client key secrets (SPEC §5)', bcryptCheck, shaCheck, 'how many more key checks per core SHA-256 allows');
}

async function validation(): Promise<void> {
  const knex = createKnexFromUrl('sqlite::memory:');
  await migrate(knex);
  const lib = new DefaultLib({
    tokens: { secret: 'bench-secret-bench-secret-bench-secret!' },
    emailer: new RecordingEmailer(),
    passwords: { bcryptCost: 4 },
  });
  const accounts = createAccounts({ io: new SqlIo(knex), lib, rateLimits: new MemoryRateLimitStore() });
  const password = 'correct horse battery staple';
  const registered = await accounts.users.register(
    { name: 'Bench', email: 'bench@example.com', password },
    { ip: null, userAgent: null },
  );
  if (registered.err) throw new Error(registered.val.message);
  const login = await accounts.sessions.loginWithPassword(
    { email: 'bench@example.com', password },
    { ip: null, userAgent: null },
  );
  if (login.err) throw new Error(login.val.message);
  const token = login.val.accessToken;
  const stateless = await measure('stateless validation (signature, exp, iss, aud)', () =>
    accounts.sessions.verifyStateless(token),
  );
  const strict = await measure('strict validation (+ one indexed SQLite query)', () =>
    accounts.sessions.authenticate(token),
  );
  report(
    'Access-token validation (SPEC §3)',
    stateless,
    strict,
    'the cost of strict over stateless validation (below 1: strict is slower)',
  );
  await knex.destroy();
}

async function timingEnumeration(): Promise<void> {
  console.log('\nKnown vs unknown addresses, 200 interleaved samples each (SPEC §4; security review finding 13)');
  for (const { route, known, unknown, ratio } of await enumerationTiming()) {
    const ms = (value: number) => `${value.toFixed(3)} ms`;
    console.log(`  POST ${route}`);
    console.log(`    known    p50 ${ms(known.p50).padStart(10)}   p99 ${ms(known.p99).padStart(10)}`);
    console.log(`    unknown  p50 ${ms(unknown.p50).padStart(10)}   p99 ${ms(unknown.p99).padStart(10)}`);
    const within = Math.abs(ratio - 1) <= 0.1;
    console.log(`    ratio of medians ${ratio.toFixed(3)} — ${within ? 'within' : 'NOT within'} 10% (the acceptance)`);
  }
}

async function main(): Promise<void> {
  console.log(`accounts-module benchmarks: ${SECONDS}s per case, Node ${process.version}`);
  await jwtKeyForm();
  await keySecretHash();
  await validation();
  await timingEnumeration();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
