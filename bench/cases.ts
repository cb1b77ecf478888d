/**
 * The cases `npm run bench` measures: the library's hot paths on each database, and the bare
 * baselines they are compared against (node:crypto HMAC, bcryptjs, a primary-key select through the
 * bare driver on a pool of the same size). Each builder returns a `CaseSpec` for the harness.
 */
import { createHash, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import jwt from 'jsonwebtoken';
import type { Accounts } from '../src';
import { type BenchDatabase, DB_LABEL } from './databases';
import { type CaseSpec, cycle, errorCodeOf, type Load, type Outcome } from './harness';
import { BENCH_PASSWORD, type Dataset } from './seed';

/** A distinct IPv4 address per call, so per-IP limits (registrations, login failures) never bind. */
export function addressCounter(firstOctet: number): () => string {
  let next = 0;
  return () => {
    next += 1;
    return `${firstOctet}.${(next >> 16) & 255}.${(next >> 8) & 255}.${next & 255}`;
  };
}

// --- the library -------------------------------------------------------------------------------

export function strictValidation(id: string, label: string, accounts: Accounts, dataset: Dataset): CaseSpec {
  const token = cycle(dataset.users.map((u) => u.accessToken));
  return { id, label, op: async () => errorCodeOf(await accounts.sessions.authenticate(token())) };
}

export function statelessValidation(id: string, accounts: Accounts, dataset: Dataset): CaseSpec {
  const token = cycle(dataset.users.map((u) => u.accessToken));
  return {
    id,
    label: 'stateless validation (`sessions.verifyStateless`)',
    op: async () => errorCodeOf(await accounts.sessions.verifyStateless(token())),
  };
}

/**
 * `clients.authenticate` round-robin over every seeded client. Each has the default `reqsPerSec`
 * (10): with N clients the throttle binds only past 10·N requests per second, so its counter is hit
 * on every request (one upsert in the shared SQL store) without the measurement turning into 429s;
 * any 429 is counted as an error all the same.
 */
export function keyAuthentication(id: string, accounts: Accounts, dataset: Dataset, dbLabel: string): CaseSpec {
  const key = cycle(dataset.clients.map((c) => c.key));
  const { length } = dataset.clients;
  const reqsPerSec = dataset.clients[0]?.client.reqsPerSec;
  return {
    id,
    label: `key authentication (\`clients.authenticate\`), ${dbLabel}: ${length} clients round-robin, each at reqsPerSec ${reqsPerSec}`,
    op: async () => errorCodeOf(await accounts.clients.authenticate(key(), dataset.keyRequest)),
  };
}

/**
 * `sessions.refresh` with a fresh, unused refresh token every time: the seeded sessions form a queue,
 * each refresh takes the head and puts the session back at the tail with the token it was given, so
 * no session is refreshed twice at once (clients refresh single-flight) and no token is presented twice.
 */
export function refresh(id: string, accounts: Accounts, dataset: Dataset, dbLabel: string): CaseSpec {
  const queue = dataset.users.map((u) => u.refreshToken);
  const request = { ip: '127.0.0.1', userAgent: 'accounts-module bench' };
  return {
    id,
    label: `refresh (\`sessions.refresh\`), ${dbLabel}`,
    op: async () => {
      const refreshToken = queue.shift();
      if (refreshToken === undefined) return 'NO_UNUSED_TOKEN';
      const refreshed = await accounts.sessions.refresh({ refreshToken }, request);
      if (refreshed.ok) queue.push(refreshed.val.refreshToken);
      return errorCodeOf(refreshed);
    },
  };
}

/** Password logins round-robin over the seeded users (each at most once per pass: no per-user limit binds). */
export function passwordLogin(accounts: Accounts, dataset: Dataset): () => Promise<Outcome> {
  const address = cycle(dataset.users.map((u) => u.email.address));
  const ip = addressCounter(10);
  return async () =>
    errorCodeOf(
      await accounts.sessions.loginWithPassword(
        { email: address(), password: BENCH_PASSWORD },
        { ip: ip(), userAgent: 'accounts-module bench' },
      ),
    );
}

/** Registrations of new addresses, each from a new IP (registrations are limited per IP). */
export function registration(accounts: Accounts, tag: string): () => Promise<Outcome> {
  let next = 0;
  const ip = addressCounter(11);
  return async () => {
    next += 1;
    const input = { name: 'Bench sign-up', email: `signup-${tag}-${next}@bench.example`, password: BENCH_PASSWORD };
    return errorCodeOf(await accounts.users.register(input, { ip: ip(), userAgent: 'accounts-module bench' }));
  };
}

export function withLoad(spec: CaseSpec, load: Load): CaseSpec {
  return { ...spec, load };
}

// --- baselines ---------------------------------------------------------------------------------

export function primaryKeySelect(db: BenchDatabase, dataset: Dataset): CaseSpec {
  const id = cycle(dataset.users.map((u) => u.session.id));
  const driver = { sqlite: 'better-sqlite3', mariadb: 'mysql2', postgres: 'pg' }[db.kind];
  return {
    id: `baseline.${db.kind}.pk-select`,
    label: `bare ${driver} PK select (prepared), ${DB_LABEL[db.kind]}, pool of the same size`,
    op: async () => {
      const rows = await db.selectSessionById(id());
      const found = Array.isArray(rows) ? rows.length === 1 : rows !== undefined;
      return found ? null : 'NOT_FOUND';
    },
  };
}

/** What HS256 verification costs at its core: one HMAC-SHA-256 over header.payload and a comparison. */
export function hmacVerify(secret: string, dataset: Dataset): CaseSpec {
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const token = cycle(dataset.users.map((u) => u.accessToken));
  return {
    id: 'baseline.hmac-verify',
    label: 'bare node:crypto HMAC-SHA-256 verification of a token',
    op: async () => {
      const value = token();
      const dot = value.lastIndexOf('.');
      const expected = createHmac('sha256', key).update(value.slice(0, dot)).digest();
      const signature = Buffer.from(value.slice(dot + 1), 'base64url');
      return signature.length === expected.length && timingSafeEqual(signature, expected) ? null : 'BAD_SIGNATURE';
    },
  };
}

export function bcryptCompare(hash: string): CaseSpec {
  return {
    id: 'baseline.bcrypt-compare',
    label: 'bare bcryptjs compare, cost 10 (main thread)',
    op: async () => ((await bcrypt.compare(BENCH_PASSWORD, hash)) ? null : 'MISMATCH'),
  };
}

export function bcryptHash(): CaseSpec {
  return {
    id: 'baseline.bcrypt-hash',
    label: 'bare bcryptjs hash, cost 10 (main thread)',
    op: async () => {
      await bcrypt.hash(BENCH_PASSWORD, 10);
      return null;
    },
  };
}

/** SPEC §3: jsonwebtoken with the HS256 secret as a string, and as a `KeyObject` (what `DefaultLib` uses). */
export function jwtSecretForms(secret: string): [CaseSpec, CaseSpec] {
  const key = createSecretKey(Buffer.from(secret));
  const payload = { sub: 'usr_1', sid: 'ses_1', roles: ['user'] };
  const options = { algorithms: ['HS256' as const] };
  return [
    {
      id: 'jwt.string-secret',
      label: 'jsonwebtoken sign + verify, secret as a string',
      op: async () => {
        jwt.verify(jwt.sign(payload, secret, { algorithm: 'HS256' }), secret, options);
        return null;
      },
    },
    {
      id: 'jwt.key-object',
      label: 'jsonwebtoken sign + verify, secret as a KeyObject',
      op: async () => {
        jwt.verify(jwt.sign(payload, key, { algorithm: 'HS256' }), key, options);
        return null;
      },
    },
  ];
}

/** SPEC §5: a client-key secret checked with SHA-256 (compared against bcrypt in the report). */
export function sha256SecretCheck(): CaseSpec {
  const secret = 'Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg';
  const hash = createHash('sha256').update(secret).digest('hex');
  return {
    id: 'client-secret.sha256',
    label: 'client-key secret checked with SHA-256',
    op: async () => (createHash('sha256').update(secret).digest('hex') === hash ? null : 'MISMATCH'),
  };
}
