/**
 * better-auth, the comparison: the latest release (bench/package.json, installed into bench/node_modules
 * so that it never enters the library's dependencies), email + password, on its own SQLite adapter
 * (Kysely over a better-sqlite3 database in a temporary file), rate limit and telemetry off, cookie
 * cache off and on. It is seeded like ours, 10,000 users with live sessions, written directly in its
 * tables with a password hash of its own making (scrypt).
 *
 * Loading it installs AsyncLocalStorage promise hooks that slow every later promise in the process:
 * run.ts measures our cases before loading it, and measures ours again beside it afterwards.
 * Its package is ESM and may be absent, so it is imported by a computed name, untyped.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type CaseSpec, cycle, type Outcome } from './harness';
import { BENCH_PASSWORD } from './seed';

const PACKAGE_DIR = join(__dirname, 'node_modules', 'better-auth');
const SECRET = 'bench-better-auth-secret-bench-better-auth-secret';
const COOKIE_PREFIX = 'better-auth';

/**
 * Installs bench/package.json's packages when better-auth is missing (unless BENCH_NO_INSTALL=1),
 * npm's output going to stderr. Answers why better-auth cannot be used, or null when it can.
 */
export function ensureBetterAuthInstalled(log: (message: string) => void): string | null {
  const installed = () => existsSync(join(PACKAGE_DIR, 'package.json'));
  if (installed()) return null;
  if (process.env.BENCH_NO_INSTALL === '1') {
    return 'better-auth is not installed (run `npm install --prefix bench`; BENCH_NO_INSTALL=1 kept it from installing)';
  }
  log('better-auth is not installed: npm install --prefix bench --no-audit --no-fund');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['install', '--prefix', __dirname, '--no-audit', '--no-fund'], {
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (installed()) return null;
  const why = result.error ? result.error.message : `npm exited with ${result.status}`;
  return `better-auth is not installed and \`npm install --prefix bench\` failed (${why})`;
}

// The little of better-auth's API used here.
interface AuthApi {
  getSession(input: { headers: Headers; returnHeaders?: boolean }): Promise<unknown>;
  signInEmail(input: { body: { email: string; password: string }; headers?: Headers }): Promise<{ token?: string }>;
  signUpEmail(input: { body: { name: string; email: string; password: string }; headers?: Headers }): Promise<{
    token?: string | null;
  }>;
}
interface Auth {
  api: AuthApi;
}

export interface BetterAuthBench {
  version: string;
  getSession: CaseSpec;
  getSessionCookieCache: CaseSpec;
  signIn: CaseSpec;
  signUp: CaseSpec;
  /** getSession while `loops` sign-up loops run. */
  getSessionUnderSignUps(loops: number): CaseSpec;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: an untyped ESM import (see the header)
const importUntyped = (name: string): Promise<any> => import(name);

function randomId(): string {
  // better-auth's own ids and tokens: 32 alphanumerics.
  return randomBytes(48)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 32);
}

export async function setUpBetterAuth(userCount: number, log: (message: string) => void): Promise<BetterAuthBench> {
  const version = (JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
  const { betterAuth } = await importUntyped('better-auth');
  const { getMigrations } = await importUntyped('better-auth/db/migration');
  const { makeSignature, hashPassword } = await importUntyped('better-auth/crypto');

  const directory = mkdtempSync(join(tmpdir(), 'accounts-bench-better-auth-'));
  const database = new Database(join(directory, 'better-auth.db'));
  database.pragma('journal_mode = WAL');
  const base = {
    database,
    secret: SECRET,
    baseURL: 'http://localhost:3000',
    emailAndPassword: { enabled: true },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
  };
  const withoutCache = { ...base, session: { cookieCache: { enabled: false } } };
  const withCache = { ...base, session: { cookieCache: { enabled: true, maxAge: 3600 } } };
  await (await getMigrations(withoutCache)).runMigrations();
  const auth: Auth = betterAuth(withoutCache);
  const cachedAuth: Auth = betterAuth(withCache);

  log(`seeding better-auth ${version}: ${userCount} users with live sessions`);
  const passwordHash: string = await hashPassword(BENCH_PASSWORD);
  const now = new Date();
  const created = now.toISOString();
  const expires = new Date(now.getTime() + 7 * 24 * 3_600_000).toISOString();
  const users: { email: string; token: string }[] = [];
  const insertUser = database.prepare(
    'INSERT INTO "user" (id, name, email, emailVerified, image, createdAt, updatedAt) VALUES (?, ?, ?, 1, NULL, ?, ?)',
  );
  const insertAccount = database.prepare(
    'INSERT INTO "account" (id, accountId, providerId, userId, password, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const insertSession = database.prepare(
    'INSERT INTO "session" (id, expiresAt, token, createdAt, updatedAt, ipAddress, userAgent, userId) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  database.transaction(() => {
    for (let i = 0; i < userCount; i++) {
      const userId = randomId();
      const email = `user${i}@bench.example`;
      const token = randomId();
      insertUser.run(userId, `Bench user ${i}`, email, created, created);
      insertAccount.run(randomId(), userId, 'credential', userId, passwordHash, created, created);
      insertSession.run(randomId(), expires, token, created, created, '127.0.0.1', 'accounts-module bench', userId);
      users.push({ email, token });
    }
  })();

  // The session cookie as better-auth signs it; then, for the cookie-cache instance, the cache cookie
  // it hands out on a first getSession.
  const sessionCookies: string[] = [];
  for (const { token } of users) {
    const signature: string = await makeSignature(token, SECRET);
    sessionCookies.push(`${COOKIE_PREFIX}.session_token=${token}.${encodeURIComponent(signature)}`);
  }
  const cachedCookies: string[] = new Array(users.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < users.length) {
        const index = next++;
        const answer = (await cachedAuth.api.getSession({
          headers: new Headers({ cookie: sessionCookies[index]! }),
          returnHeaders: true,
        })) as { headers: Headers; response: unknown };
        const cache = answer.headers
          .getSetCookie()
          .map((cookie) => cookie.split(';')[0]!)
          .find((cookie) => cookie.startsWith(`${COOKIE_PREFIX}.session_data=`));
        if (!answer.response || !cache) throw new Error('better-auth: getSession gave no session or no cache cookie');
        cachedCookies[index] = `${sessionCookies[index]}; ${cache}`;
      }
    }),
  );

  const getSessionOp = (instance: Auth, cookies: string[]) => {
    const cookie = cycle(cookies);
    return async (): Promise<Outcome> => {
      const session = await instance.api.getSession({ headers: new Headers({ cookie: cookie() }) });
      return session ? null : 'NO_SESSION';
    };
  };
  const signUpOp = () => {
    let count = 0;
    const tag = randomBytes(3).toString('hex');
    return async (): Promise<Outcome> => {
      count += 1;
      const email = `signup-${tag}-${count}@bench.example`;
      const answer = await auth.api.signUpEmail({ body: { name: 'Bench sign-up', email, password: BENCH_PASSWORD } });
      return answer?.token ? null : 'NO_TOKEN';
    };
  };
  const address = cycle(users.map((u) => u.email));

  return {
    version,
    getSession: {
      id: 'better-auth.get-session',
      label: `better-auth ${version} getSession, cookie cache off`,
      op: getSessionOp(auth, sessionCookies),
    },
    getSessionCookieCache: {
      id: 'better-auth.get-session.cookie-cache',
      label: `better-auth ${version} getSession, cookie cache on`,
      op: getSessionOp(cachedAuth, cachedCookies),
    },
    signIn: {
      id: 'better-auth.sign-in',
      label: `better-auth ${version} sign-in (email + password, scrypt)`,
      op: async () => {
        const answer = await auth.api.signInEmail({ body: { email: address(), password: BENCH_PASSWORD } });
        return answer?.token ? null : 'NO_TOKEN';
      },
    },
    signUp: { id: 'better-auth.sign-up', label: `better-auth ${version} sign-up (email + password)`, op: signUpOp() },
    getSessionUnderSignUps: (loops) => ({
      id: 'better-auth.get-session.signups',
      label: `better-auth getSession (cookie cache off) while ${loops} of its sign-up loops run`,
      op: getSessionOp(auth, sessionCookies),
      load: { label: `${loops} better-auth sign-up loops`, loops, op: signUpOp() },
    }),
    close: async () => {
      database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
