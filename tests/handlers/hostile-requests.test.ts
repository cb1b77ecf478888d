import fc from 'fast-check';
import { DefaultLib, ManualClock, RecordingEmailer } from '../../src/adapters/lib';
import { SqlIo, SqlRateLimitStore } from '../../src/adapters/sql';
import { TABLES_CHILD_FIRST } from '../../src/adapters/sql/schema-v1';
import { createAccounts } from '../../src/create-accounts';
import type { Accounts } from '../../src/domain/accounts';
import type { Caller } from '../../src/domain/context';
import { ERRORS } from '../../src/domain/errors';
import type { Tokens } from '../../src/domain/sessions';
import { type AccountsHandlers, createHandlers, HTTP_ERRORS, ROUTE_DEFINITIONS, Router } from '../../src/handlers';
import type { HttpHeaders, HttpRequest, HttpResponse } from '../../src/handlers/types';
import type { UserRole } from '../../src/ports/entities';
import { type DbKind, describeDb, type TestDatabase } from '../support/databases';
import {
  type DbSnapshot,
  diffSnapshots,
  dumpTables,
  listTables,
  restoreTables,
  type SnapshotMask,
  snapshotDatabase,
  type TableDump,
} from '../support/db-snapshot';
import { ok, REQUEST, START, STRONG_PASSWORD, TEST_BCRYPT_COST, TEST_JWT_SECRET } from '../support/setup';

/**
 * Hostile requests through the whole route table, on a real database (security issue: "property
 * tests over the route table"). fast-check generates requests of every kind an attacker or a broken
 * client can send (wrong types, missing and unknown fields, prototype keys, huge and odd Unicode
 * strings, deep nesting, malformed JSON, raw bytes, garbage and duplicated credentials, odd paths and
 * methods), mixed with real credentials and real ids of a seeded world so that requests also get past
 * authentication and reach the services. Each request goes through `dispatch` alone and is judged:
 *
 * 1. never a 5xx, and nothing reported to the handlers' logger;
 * 2. the envelope is valid: a 2xx is `{ data }` (204: no body; the JWKS: a bare `{ keys }`), a 4xx is
 *    exactly `{ error: { code, message, details? } }` with an UPPER_SNAKE code of the documented status,
 *    429 carries `Retry-After`, 405 `Allow`, and no answer carries a hash;
 * 3. a rejected request (status >= 400) leaves the database exactly as it was: every table, every row,
 *    compared before and after that one request, except what `REJECTION_MAY_CHANGE` lists;
 * 4. what HTTP.md says must be refused is never accepted: a present but invalid credential is a 401 on
 *    every route, a body over the limit a 413, a non-JSON content type a 415, unparseable JSON a 400,
 *    and no body with an unknown field, a missing required field or a wrongly typed field gets a 2xx.
 *
 * The world (users with sessions, organizations, members, clients with keys and restrictions, pending
 * codes) is seeded once through the domain API, dumped, and the database is rewound to that dump after
 * every request that succeeds, so real ids and credentials stay real. The clock is frozen.
 *
 * Each failure message starts with a tag in brackets (`[5xx]`, `[db changed by a rejected request]`,
 * `[unknown field accepted]` …) so distinct failures are told apart at a glance; each family of hostile
 * input is its own test. Input that the code has been seen to mishandle (prototype-named fields such
 * as `constructor` or `__proto__`, a credential header given twice under names differing in case) is
 * generated only by its own test in `FOCUSED`, so each such failure shows up there and nowhere else.
 *
 * Reproducible: `FC_SEED=<n>` replays a run (the seed is printed on failure), `FC_SCALE=<x>` multiplies
 * the number of requests of every family, `HOSTILE_TRACE=1` prints one line per request.
 */

const SEED = process.env.FC_SEED === undefined ? 20_261_202 : Number(process.env.FC_SEED);
const SCALE = process.env.FC_SCALE === undefined ? 1 : Number(process.env.FC_SCALE);
const runs = (count: number): number => Math.max(1, Math.round(count * SCALE));

const BODY_LIMIT = 102_400;
/** What a rewind restores: the tables requests write, the event trail included. */
const REWOUND_TABLES = ['events', ...TABLES_CHILD_FIRST] as const;
/** The peer address of most requests: inside the `ip` restriction of the guarded client. */
const PEER = '203.0.113.7';

/**
 * What a rejected request may still change, and why. Everything else, in every table, must be
 * byte-for-byte what it was before the request.
 * - `rate_limits` (the whole table): counting refused attempts is the point of a limit; a wrong
 *   password, code or key must cost the attacker one of their tries.
 * - `verification_codes.attempts`: a wrong code must consume one of the code's attempts (SPEC §4), and
 *   attempts are reserved outside any transaction so a rollback never gives guesses back.
 * - `events` (the whole table): a refused login is worth an audit row (`login.failed`), which the
 *   refusal writes on purpose (docs/events.md); tests/domain/event-trail.test.ts and
 *   tests/events/ check which events each change writes.
 * On `POST /authn/refresh` answered 401 `INVALID_REFRESH_TOKEN` only, also:
 * - `sessions.revoked_at`: presenting an already-consumed refresh token is reuse, which revokes the
 *   whole session it belongs to (RFC 9700 §4.14.2): that rejection is the alarm going off.
 * Not an exception, but set up so it does not happen: a client's `last_used_at` is written at most once
 * a minute when its key authenticates, even if the request is then refused. The clock is frozen and
 * every seeded key is used once while seeding, so no generated request is ever the first use.
 */
const REJECTION_MAY_CHANGE: SnapshotMask = {
  tables: ['rate_limits', 'events'],
  columns: { verification_codes: ['attempts'] },
};
const REFRESH_REUSE_MAY_CHANGE: SnapshotMask = {
  tables: ['rate_limits', 'events'],
  columns: { verification_codes: ['attempts'], sessions: ['revoked_at'] },
};

// ---------------------------------------------------------------------------------------------------
// The route table and what each route's body may hold (HTTP.md)
// ---------------------------------------------------------------------------------------------------

type IdPool = 'user' | 'organization' | 'membership' | 'client' | 'session' | 'restriction' | 'staleId';
type ValuePool =
  | 'email'
  | 'pendingEmail'
  | 'pendingCode'
  | 'loginState'
  | 'loginCode'
  | 'refreshToken'
  | 'consumedRefreshToken';
type Pool = IdPool | ValuePool;

interface RouteInfo {
  method: string;
  path: string;
  body: 'json' | 'none';
  key: string;
  /** Which kind of id the `:id` of the path names, or null without one. */
  param: IdPool | null;
  /** A list route, answering a page `{ data, nextCursor }`. */
  paged: boolean;
}

const ROUTES: RouteInfo[] = ROUTE_DEFINITIONS.map(({ method, path, body, docs }) => ({
  method,
  path,
  body,
  paged: docs.success.page !== undefined,
  key: `${method} ${path}`,
  param: paramKindOf(path),
}));

function paramKindOf(path: string): IdPool | null {
  if (!path.includes(':')) return null;
  const prefixes: [string, IdPool][] = [
    ['/users/', 'user'],
    ['/sessions/', 'session'],
    ['/organizations/', 'organization'],
    ['/memberships/', 'membership'],
    ['/clients/', 'client'],
  ];
  return prefixes.find(([prefix]) => path.startsWith(prefix))?.[1] ?? 'staleId';
}

type FieldKind =
  | 'name'
  | 'email'
  | 'password'
  | 'code'
  | 'state'
  | 'refreshToken'
  | 'userId'
  | 'role'
  | 'reqsPerSec'
  | 'all'
  | 'emails'
  | 'restrictions'
  | 'ids'
  | 'token';

interface BodySchema {
  required: Record<string, FieldKind>;
  optional: Record<string, FieldKind>;
}

const schema = (required: Record<string, FieldKind>, optional: Record<string, FieldKind> = {}): BodySchema => ({
  required,
  optional,
});

/** The fields of every route that reads a JSON body, from HTTP.md. Routes with `body: 'none'` take none. */
const BODY_SCHEMAS: Record<string, BodySchema> = {
  'POST /users': schema({ name: 'name', email: 'email' }, { password: 'password' }),
  'PATCH /users/:id': schema({}, { name: 'name' }),
  'POST /users/:id/password': schema({ newPassword: 'password' }, { currentPassword: 'password' }),
  'POST /users/:id/login-emails': schema({ emails: 'emails' }),
  'DELETE /users/:id/login-emails': schema({ emails: 'emails' }),
  'POST /emails/verify': schema({ email: 'email', code: 'code' }),
  'POST /emails/resend-verification': schema({ email: 'email' }),
  'POST /authn/password': schema({ email: 'email', password: 'password' }),
  'POST /authn/email': schema({ email: 'email', state: 'state' }),
  'POST /authn/code': schema({ code: 'code', state: 'state' }),
  'POST /authn/refresh': schema({ refreshToken: 'refreshToken' }),
  'POST /authn/reauthenticate': schema(
    {},
    { password: 'password', code: 'code', state: 'state', totp: 'code', recoveryCode: 'code' },
  ),
  'POST /authn/password-reset/request': schema({ email: 'email' }),
  'POST /authn/password-reset': schema(
    { email: 'email', code: 'code', newPassword: 'password' },
    { totp: 'code', recoveryCode: 'code' },
  ),
  'POST /users/:id/mfa/totp/confirm': schema({ code: 'code' }),
  'POST /authn/mfa': schema({ challenge: 'token' }, { code: 'code', recoveryCode: 'code' }),
  'POST /sessions/logout': schema({}, { all: 'all' }),
  'POST /organizations': schema({ name: 'name' }),
  'PATCH /organizations/:id': schema({ name: 'name' }),
  'POST /organizations/:id/memberships': schema({ userId: 'userId', role: 'role' }),
  'PATCH /memberships/:id': schema({ role: 'role' }),
  'POST /organizations/:id/clients': schema({ name: 'name' }, { reqsPerSec: 'reqsPerSec' }),
  'PATCH /clients/:id': schema({}, { name: 'name', reqsPerSec: 'reqsPerSec' }),
  'POST /clients/:id/access-restrictions': schema({ restrictions: 'restrictions' }),
  'DELETE /clients/:id/access-restrictions': schema({ ids: 'ids' }),
  'POST /organizations/:id/invitations': schema({ email: 'email', role: 'role' }),
  'POST /invitations/accept': schema({ token: 'token' }),
};
const RESTRICTION_FIELDS = ['type', 'value'];

/** The JSON type each kind of field must have; anything else must be refused. */
const FIELD_TYPES: Record<FieldKind, 'string' | 'number' | 'boolean' | 'array'> = {
  name: 'string',
  email: 'string',
  password: 'string',
  code: 'string',
  state: 'string',
  refreshToken: 'string',
  userId: 'string',
  role: 'string',
  reqsPerSec: 'number',
  all: 'boolean',
  emails: 'array',
  restrictions: 'array',
  ids: 'array',
  token: 'string',
};

/** Documented status of every error code (HTTP.md), and the one per-route override. */
const DOCUMENTED_STATUS: Record<string, number> = {
  VALIDATION_FAILED: 400,
  WEAK_PASSWORD: 400,
  INVALID_CODE: 400,
  INVALID_JSON: 400,
  UNAUTHENTICATED: 401,
  INVALID_TOKEN: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_REFRESH_TOKEN: 401,
  INVALID_CLIENT: 401,
  REAUTHENTICATION_REQUIRED: 401,
  FORBIDDEN: 403,
  ACCESS_RESTRICTED: 403,
  ACCOUNT_DISABLED: 403,
  EMAIL_NOT_VERIFIED: 403,
  INVALID_CURRENT_PASSWORD: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  EMAIL_TAKEN: 409,
  LAST_EMAIL: 409,
  LAST_OWNER: 409,
  ALREADY_MEMBER: 409,
  INVALID_INVITATION: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
};
const STATUS_OVERRIDES: Record<string, Record<string, number>> = { 'POST /authn/code': { INVALID_CODE: 401 } };
const KNOWN_CODES = new Set<string>([...Object.values(ERRORS), ...Object.values(HTTP_ERRORS)]);
/** Keys no answer may carry, at any depth (HTTP.md: no password, secret, token hashes or codes). */
const SECRET_KEYS =
  /^(password_?hash|secret_?hash|token_?hash|code_?hash|passwordHash|secretHash|tokenHash|codeHash)$/i;

// ---------------------------------------------------------------------------------------------------
// Generated requests: symbolic, resolved against the current world when sent
// ---------------------------------------------------------------------------------------------------

/**
 * A reference to a real value of the seeded world (an id, an address, a code…), resolved when the
 * request is sent. Ids and secrets are random per run, so the generated requests, their counterexamples
 * and their shrinking stay meaningful whatever the seeded world's concrete values are.
 */
class Ref {
  constructor(
    readonly pool: Pool,
    readonly index: number,
    readonly transform: 'none' | 'upper' | 'pad' = 'none',
  ) {}

  [fc.toStringMethod](): string {
    return `ref(${this.pool}#${this.index}${this.transform === 'none' ? '' : `,${this.transform}`})`;
  }
}

type ParamSpec =
  | { kind: 'ref'; pool: IdPool; index: number }
  | { kind: 'me' }
  | { kind: 'mutated'; pool: IdPool; index: number; mutation: 'upper' | 'suffix' | 'truncate' | 'percent' | 'wildcard' }
  | { kind: 'text'; text: string; encode: boolean };

type PathSpec = { kind: 'route'; route: number; params: ParamSpec[]; suffix: string } | { kind: 'raw'; path: string };

type AuthSpec =
  | { kind: 'none' }
  | { kind: 'valid'; person: number; scheme: string; asArray: boolean; header: string }
  | { kind: 'stale'; index: number; header: string }
  | { kind: 'crafted'; index: number; header: string }
  | { kind: 'literal'; value: string | string[]; header: string }
  | { kind: 'twoValid'; a: number; b: number; header: string }
  /** The same header twice, names differing in case: a real token under one, garbage under the other. */
  | { kind: 'caseDuplicate'; person: number; garbage: string; validFirst: boolean };

type KeyMutation = 'append' | 'truncate' | 'flip' | 'upper' | 'emptySecret' | 'otherSecret' | 'bearer';
type KeySpec =
  | { kind: 'none' }
  | { kind: 'valid'; client: number; pad: string; asArray: boolean; header: string }
  | { kind: 'stale'; index: number; header: string }
  | { kind: 'wrong'; client: number; mutation: KeyMutation; header: string }
  | { kind: 'literal'; value: string | string[]; header: string }
  | { kind: 'twoValid'; a: number; b: number; header: string }
  | { kind: 'caseDuplicate'; client: number; garbage: string; validFirst: boolean };

type BodySpec =
  | { kind: 'absent'; as: 'undefined' | 'null' | 'empty' | 'emptyBytes' }
  | { kind: 'json'; value: unknown; extras: [string, unknown][]; encoding: 'text' | 'bytes' | 'bom' }
  | { kind: 'text'; text: string; encoding: 'text' | 'bytes' }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'huge'; base: Record<string, unknown>; field: string; unit: string; count: number }
  | { kind: 'nested'; depth: number; shape: 'array' | 'object' | 'inField' | 'unclosed' | 'mixed' };

interface HostileRequest {
  method: string;
  path: PathSpec;
  auth: AuthSpec;
  key: KeySpec;
  contentType: string | string[] | null;
  origin: string | null;
  userAgent: string | null;
  extraHeaders: [string, string][];
  body: BodySpec;
  remoteAddress: string | null | undefined;
}

// ---------------------------------------------------------------------------------------------------
// The seeded world
// ---------------------------------------------------------------------------------------------------

interface Person {
  name: string;
  userId: string;
  email: string;
  tokens: Tokens;
  caller: Caller;
}

interface World {
  /** root (sysadmin), alice (owner of Acme), bob (admin), carol (member), dave (owner of Other), erin (employee). */
  people: Person[];
  /** Live keys: open (unlimited), guarded (ip + api restricted, 10 req/s), hosted (host restricted), system. */
  keys: string[];
  /** Access tokens that look right and are not: expired, forged, unknown session, `alg: none`, tampered. */
  craftedTokens: string[];
  /** Tokens and keys that worked once: a logged-out session, a deleted user, a rotated or deleted key. */
  staleTokens: string[];
  staleKeys: string[];
  pools: Record<Pool, string[]>;
}

interface Suite {
  kind: DbKind;
  database: TestDatabase;
  accounts: Accounts;
  handlers: AccountsHandlers;
  router: Router;
  lib: DefaultLib;
  emailer: RecordingEmailer;
  logged: { message: string; meta: Record<string, unknown> }[];
  tables: string[];
  world: World;
  /** Every row of the seeded world, to rewind to, and its snapshot. */
  seed: { dump: TableDump; snapshot: DbSnapshot };
  /** The database as the last request left it (null: unknown, take a new one). */
  snapshot: DbSnapshot | null;
  stats: { requests: number; rewinds: number; statuses: Map<number, number> };
}

const SYSTEM_OPERATOR: Caller = { client: { id: 'cli_seed_operator', organizationId: '', roles: ['system'] } };

async function createSuite(kind: DbKind, database: TestDatabase): Promise<Suite> {
  const clock = new ManualClock(START);
  const emailer = new RecordingEmailer();
  const lib = new DefaultLib({
    passwords: { bcryptCost: TEST_BCRYPT_COST },
    tokens: { secret: TEST_JWT_SECRET },
    emailer,
    // Frozen: tokens never expire mid-run, and a key's last_used_at is written once, while seeding.
    clock: () => clock.now(),
  });
  const { knex } = database;
  const accounts = createAccounts({ io: new SqlIo(knex), lib, rateLimits: new SqlRateLimitStore(knex) });
  const logged: Suite['logged'] = [];
  const handlers = createHandlers(accounts, {
    apiName: 'accounts',
    logger: { error: (message: string, meta: Record<string, unknown>) => logged.push({ message, meta }) },
  });
  const suite: Suite = {
    kind,
    database,
    accounts,
    handlers,
    router: new Router(handlers.routes),
    lib,
    emailer,
    logged,
    tables: await listTables(knex),
    world: undefined as unknown as World,
    seed: undefined as unknown as Suite['seed'],
    snapshot: null,
    stats: { requests: 0, rewinds: 0, statuses: new Map() },
  };
  suite.world = await seedWorld(suite);
  suite.seed = {
    dump: await dumpTables(knex, REWOUND_TABLES),
    snapshot: await snapshotDatabase(knex, suite.tables),
  };
  // Rewinding must give back exactly the seeded database, or every comparison after it would lie.
  await rewind(suite);
  const problems = diffSnapshots(suite.seed.snapshot, await snapshotDatabase(knex, suite.tables));
  if (problems.length > 0) throw new Error(`rewinding does not restore the seed:\n${problems.join('\n')}`);
  return suite;
}

function lastCodeTo(emailer: RecordingEmailer, address: string, kind: 'verify-email' | 'login'): string {
  const message = [...emailer.sent].reverse().find((sent) => sent.to === address && sent.kind === kind);
  if (!message) throw new Error(`seeding: no ${kind} email to ${address}`);
  return message.code;
}

/** Seeds the world through the domain API only: no row is written behind the services' back. */
async function seedWorld(suite: Suite): Promise<World> {
  const { accounts, emailer, lib } = suite;
  const addressOf = (name: string) => `${name}@example.com`;

  const person = async (name: string, roles?: UserRole[]): Promise<Person> => {
    const email = addressOf(name);
    const user = ok<{ id: string }>(
      await accounts.users.register(
        { name: `${name[0].toUpperCase()}${name.slice(1)}`, email, password: STRONG_PASSWORD },
        REQUEST,
      ),
    );
    if (roles) ok(await accounts.users.setRoles(SYSTEM_OPERATOR, user.id, { roles }));
    const tokens = ok<Tokens>(await accounts.sessions.loginWithPassword({ email, password: STRONG_PASSWORD }, REQUEST));
    const caller: Caller = { user: ok(await accounts.sessions.authenticate(tokens.accessToken)) };
    return { name, userId: user.id, email, tokens, caller };
  };

  const root = await person('root', ['sysadmin', 'user']);
  const alice = await person('alice');
  const bob = await person('bob');
  const carol = await person('carol');
  const dave = await person('dave');
  const erin = await person('erin', ['employee', 'user']);
  const frank = await person('frank');
  await accounts.settled();

  // alice proves her first address and adds a second one, left pending.
  ok(await accounts.emails.verify({ email: alice.email, code: lastCodeTo(emailer, alice.email, 'verify-email') }));
  const aliceAlt = addressOf('alice-alt');
  ok(await accounts.emails.add(alice.caller, alice.userId, { emails: [aliceAlt] }));

  const acme = ok<{ id: string }>(await accounts.organizations.create(alice.caller, { name: 'Acme' }));
  ok(await accounts.organizations.addMembership(alice.caller, acme.id, { userId: bob.userId, role: 'admin' }));
  ok(await accounts.organizations.addMembership(alice.caller, acme.id, { userId: carol.userId, role: 'member' }));
  const other = ok<{ id: string }>(await accounts.organizations.create(dave.caller, { name: 'Other' }));
  const memberships = [
    ...ok<{ data: { id: string }[] }>(await accounts.organizations.listMemberships(alice.caller, acme.id)).data,
    ...ok<{ data: { id: string }[] }>(await accounts.organizations.listMemberships(dave.caller, other.id)).data,
  ].map(({ id }) => id);

  type Created = { client: { id: string }; key: string };
  const open = ok<Created>(await accounts.clients.create(root.caller, acme.id, { name: 'Open', reqsPerSec: -1 }));
  const guarded = ok<Created>(await accounts.clients.create(alice.caller, acme.id, { name: 'Guarded' }));
  const guardedRestrictions = ok<{ id: string }[]>(
    await accounts.clients.addRestrictions(root.caller, guarded.client.id, {
      restrictions: [
        { type: 'ip', value: '203.0.113.0/24' },
        { type: 'ip', value: '2001:db8::/32' },
        { type: 'api', value: 'accounts' },
      ],
    }),
  );
  const hosted = ok<Created>(await accounts.clients.create(bob.caller, acme.id, { name: 'Hosted' }));
  const hostedRestrictions = ok<{ id: string }[]>(
    await accounts.clients.addRestrictions(bob.caller, hosted.client.id, {
      restrictions: [{ type: 'host', value: '*.example.com' }],
    }),
  );
  const system = ok<Created>(
    await accounts.clients.create(root.caller, other.id, { name: 'Operator', reqsPerSec: -1 }, { roles: ['system'] }),
  );
  const rotated = ok<Created>(await accounts.clients.create(alice.caller, acme.id, { name: 'Rotated' }));
  ok(await accounts.clients.rotateKey(alice.caller, rotated.client.id));
  const gone = ok<Created>(await accounts.clients.create(alice.caller, acme.id, { name: 'Gone' }));
  ok(await accounts.clients.delete(alice.caller, gone.client.id));
  const liveKeys = [open.key, guarded.key, hosted.key, system.key];
  for (const key of liveKeys) {
    ok(await accounts.clients.authenticate(key, { ip: PEER, origin: 'https://app.example.com', api: 'accounts' }));
  }

  // A logged-out session, a session whose first refresh token was consumed, a deleted user.
  const carolAgain = ok<Tokens>(
    await accounts.sessions.loginWithPassword({ email: carol.email, password: STRONG_PASSWORD }, REQUEST),
  );
  const carolAgainCaller: Caller = { user: ok(await accounts.sessions.authenticate(carolAgain.accessToken)) };
  ok(await accounts.sessions.logout(carolAgainCaller, {}));
  const bobAgain = ok<Tokens>(
    await accounts.sessions.loginWithPassword({ email: bob.email, password: STRONG_PASSWORD }, REQUEST),
  );
  ok(await accounts.sessions.refresh({ refreshToken: bobAgain.refreshToken }, REQUEST));
  ok(await accounts.users.delete(frank.caller, frank.userId));

  // Pending login codes, each bound to its state.
  const states = ['dave-state-0123456789', 'alice-state-0123456789'];
  ok(await accounts.sessions.requestLoginCode({ email: dave.email, state: states[0] }, REQUEST));
  ok(await accounts.sessions.requestLoginCode({ email: alice.email, state: states[1] }, REQUEST));
  await accounts.settled();

  const people = [root, alice, bob, carol, dave, erin];
  const pendingEmails = [aliceAlt, ...people.filter((p) => p !== alice).map((p) => p.email)];
  const aliceToken = alice.tokens;
  const claims = { userId: alice.userId, roles: ['user'] as UserRole[], clientId: null };
  const expiredLib = new DefaultLib({
    tokens: { secret: TEST_JWT_SECRET },
    clock: () => new Date(START.getTime() - 3_600_000),
  });
  const forgingLib = new DefaultLib({ tokens: { secret: `${TEST_JWT_SECRET}-but-not-ours` } });
  const sign = (signer: DefaultLib, sessionId: string) =>
    signer.signAccessToken({
      ...claims,
      sessionId,
      authMethod: 'password',
      authenticatedAt: START,
    } as Parameters<DefaultLib['signAccessToken']>[0]);
  const [header, payload, signature] = aliceToken.accessToken.split('.');
  const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const middle = Math.floor(signature.length / 2);
  const craftedTokens = [
    await sign(expiredLib, aliceToken.sessionId),
    await sign(forgingLib, aliceToken.sessionId),
    await sign(lib, 'ses_000000000000000000000'),
    `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    `${header}.${payload}.${signature.slice(0, middle)}${signature[middle] === 'A' ? 'B' : 'A'}${signature.slice(middle + 1)}`,
    `${header}.${base64url({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['sysadmin'] })}.${signature}`,
    // Signed with our key for a session that exists, but the session is bob's and the token says alice.
    await sign(lib, bobAgain.sessionId),
  ];

  return {
    people,
    keys: liveKeys,
    craftedTokens,
    staleTokens: [carolAgain.accessToken, frank.tokens.accessToken],
    staleKeys: [rotated.key, gone.key],
    pools: {
      user: people.map((p) => p.userId),
      organization: [acme.id, other.id],
      membership: memberships,
      client: [open.client.id, guarded.client.id, hosted.client.id, system.client.id, rotated.client.id],
      session: [...people.map((p) => p.tokens.sessionId), bobAgain.sessionId, carolAgain.sessionId],
      restriction: [...guardedRestrictions, ...hostedRestrictions].map(({ id }) => id),
      staleId: [frank.userId, gone.client.id, carolAgain.sessionId],
      email: [...people.map((p) => p.email), aliceAlt],
      pendingEmail: pendingEmails,
      pendingCode: pendingEmails.map((address) => lastCodeTo(emailer, address, 'verify-email')),
      loginState: states,
      loginCode: [lastCodeTo(emailer, dave.email, 'login'), lastCodeTo(emailer, alice.email, 'login')],
      refreshToken: people.map((p) => p.tokens.refreshToken),
      consumedRefreshToken: [bobAgain.refreshToken],
    },
  };
}

/**
 * Puts the database back to the seeded world, row for row: cheaper than seeding again (no bcrypt, a
 * few statements), and every real id, token, key and code of `world` is valid again.
 */
async function rewind(suite: Suite): Promise<void> {
  await restoreTables(suite.database.knex, suite.seed.dump, REWOUND_TABLES);
  suite.snapshot = suite.seed.snapshot;
  suite.stats.rewinds += 1;
}

// ---------------------------------------------------------------------------------------------------
// From a generated request to a plain one
// ---------------------------------------------------------------------------------------------------

const pick = <T>(list: readonly T[], index: number): T => list[index % list.length];

function poolValues(suite: Suite, pool: Pool): string[] {
  return suite.world.pools[pool];
}

function resolveRef(suite: Suite, ref: Ref): string {
  const value = pick(poolValues(suite, ref.pool), ref.index);
  if (ref.transform === 'upper') return value.toUpperCase();
  if (ref.transform === 'pad') return `  ${value}\t`;
  return value;
}

/** Replaces every `Ref` in a JSON-like value by its concrete string. */
function resolveValue(suite: Suite, value: unknown): unknown {
  if (value instanceof Ref) return resolveRef(suite, value);
  if (Array.isArray(value)) return value.map((item) => resolveValue(suite, item));
  if (value !== null && typeof value === 'object') {
    const resolved: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(resolved, key, { value: resolveValue(suite, item), enumerable: true, writable: true });
    }
    return resolved;
  }
  return value;
}

/** JSON text of an object plus extra entries, written as raw text so `__proto__` is an ordinary key. */
function jsonText(value: unknown, extras: [string, unknown][]): string {
  if (extras.length === 0 || value === null || typeof value !== 'object' || Array.isArray(value)) {
    return JSON.stringify(value) ?? 'null';
  }
  const entries = [...Object.entries(value), ...extras].map(
    ([key, item]) => `${JSON.stringify(key)}:${JSON.stringify(item) ?? 'null'}`,
  );
  return `{${entries.join(',')}}`;
}

function nestedText(depth: number, shape: Extract<BodySpec, { kind: 'nested' }>['shape']): string {
  switch (shape) {
    case 'array':
      return `${'['.repeat(depth)}${']'.repeat(depth)}`;
    case 'object':
      return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    case 'inField':
      return `{"name":${'['.repeat(depth)}"x"${']'.repeat(depth)}}`;
    case 'unclosed':
      return '['.repeat(depth);
    case 'mixed':
      return `${'[{"a":'.repeat(depth)}null${'}]'.repeat(depth)}`;
  }
}

function resolveParam(suite: Suite, param: ParamSpec): string {
  switch (param.kind) {
    case 'me':
      return 'me';
    case 'ref':
      return pick(poolValues(suite, param.pool), param.index);
    case 'mutated': {
      const id = pick(poolValues(suite, param.pool), param.index);
      if (param.mutation === 'upper') return id.toUpperCase();
      if (param.mutation === 'suffix') return `${id}x`;
      if (param.mutation === 'truncate') return id.slice(0, -1);
      if (param.mutation === 'percent') return `${id.slice(0, -2)}%`;
      return `${id.slice(0, -3)}%25`;
    }
    case 'text':
      if (!param.encode) return param.text;
      try {
        return encodeURIComponent(param.text);
      } catch {
        return param.text; // a lone surrogate cannot be percent-encoded: sent raw
      }
  }
}

function resolvePath(suite: Suite, path: PathSpec): string {
  if (path.kind === 'raw') return path.path;
  let next = 0;
  const filled = ROUTES[path.route].path.replace(/:[A-Za-z]+/g, () =>
    resolveParam(suite, path.params[next++] ?? { kind: 'me' }),
  );
  return `${filled}${path.suffix}`;
}

type CredentialClass = 'none' | 'valid' | 'invalid';

interface ResolvedCredential {
  value?: string | string[];
  /** Headers to set instead of one `value` under the spec's header name. */
  entries?: [string, string][];
  class: CredentialClass;
}

function resolveAuth(suite: Suite, auth: AuthSpec): ResolvedCredential {
  const { world } = suite;
  switch (auth.kind) {
    case 'none':
      return { class: 'none' };
    case 'valid': {
      const value = `${auth.scheme}${pick(world.people, auth.person).tokens.accessToken}`;
      return { value: auth.asArray ? [value] : value, class: 'valid' };
    }
    case 'stale':
      return { value: `Bearer ${pick(world.staleTokens, auth.index)}`, class: 'invalid' };
    case 'crafted':
      return { value: `Bearer ${pick(world.craftedTokens, auth.index)}`, class: 'invalid' };
    case 'literal':
      return { value: auth.value, class: 'invalid' };
    case 'twoValid':
      return {
        value: [
          `Bearer ${pick(world.people, auth.a).tokens.accessToken}`,
          `Bearer ${pick(world.people, auth.b).tokens.accessToken}`,
        ],
        class: 'invalid',
      };
    case 'caseDuplicate': {
      const valid = `Bearer ${pick(world.people, auth.person).tokens.accessToken}`;
      const entries: [string, string][] = [
        ['authorization', valid],
        ['Authorization', auth.garbage],
      ];
      return { entries: auth.validFirst ? entries : [entries[1], entries[0]], class: 'invalid' };
    }
  }
}

function resolveKey(suite: Suite, key: KeySpec): ResolvedCredential {
  const { world } = suite;
  switch (key.kind) {
    case 'none':
      return { class: 'none' };
    case 'valid': {
      const value = `${key.pad}${pick(world.keys, key.client)}${key.pad}`;
      return { value: key.asArray ? [value] : value, class: 'valid' };
    }
    case 'stale':
      return { value: pick(world.staleKeys, key.index), class: 'invalid' };
    case 'wrong': {
      const real = pick(world.keys, key.client);
      const [prefix, kind, body] = real.split('_');
      const secret = real.slice(prefix.length + kind.length + body.length + 3);
      const otherSecret = pick(world.keys, key.client + 1)
        .split('_')
        .slice(3)
        .join('_');
      const middle = Math.floor(secret.length / 2);
      const flipped = `${secret.slice(0, middle)}${secret[middle] === 'A' ? 'B' : 'A'}${secret.slice(middle + 1)}`;
      const values: Record<KeyMutation, string> = {
        append: `${real}x`,
        truncate: real.slice(0, -1),
        flip: `${prefix}_${kind}_${body}_${flipped}`,
        upper: real.toUpperCase(),
        emptySecret: `${prefix}_${kind}_${body}_`,
        otherSecret: `${prefix}_${kind}_${body}_${otherSecret}`,
        bearer: `Bearer ${real}`,
      };
      return { value: values[key.mutation], class: 'invalid' };
    }
    case 'literal':
      return { value: key.value, class: 'invalid' };
    case 'twoValid':
      return { value: [pick(world.keys, key.a), pick(world.keys, key.b)], class: 'invalid' };
    case 'caseDuplicate': {
      const entries: [string, string][] = [
        ['x-api-key', pick(world.keys, key.client)],
        ['X-Api-Key', key.garbage],
      ];
      return { entries: key.validFirst ? entries : [entries[1], entries[0]], class: 'invalid' };
    }
  }
}

function resolveBody(suite: Suite, body: BodySpec): string | Uint8Array | null | undefined {
  switch (body.kind) {
    case 'absent':
      return body.as === 'undefined'
        ? undefined
        : body.as === 'null'
          ? null
          : body.as === 'empty'
            ? ''
            : new Uint8Array();
    case 'json': {
      const text = jsonText(resolveValue(suite, body.value), body.extras);
      if (body.encoding === 'bytes') return Buffer.from(text, 'utf8');
      return body.encoding === 'bom' ? `\ufeff${text}` : text;
    }
    case 'text':
      return body.encoding === 'bytes' ? Buffer.from(body.text, 'utf8') : body.text;
    case 'bytes':
      return body.bytes;
    case 'huge': {
      const value = resolveValue(suite, body.base) as Record<string, unknown>;
      return jsonText(value, [[body.field, body.unit.repeat(body.count)]]);
    }
    case 'nested':
      return nestedText(body.depth, body.shape);
  }
}

interface Materialized {
  request: HttpRequest;
  auth: CredentialClass;
  key: CredentialClass;
}

function materialize(suite: Suite, spec: HostileRequest): Materialized {
  const headers: HttpHeaders = {};
  const set = (name: string, value: string | string[]) => {
    Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  };
  for (const [name, value] of spec.extraHeaders) set(name, value);
  if (spec.userAgent !== null) set('user-agent', spec.userAgent);
  if (spec.contentType !== null) set('content-type', spec.contentType);
  if (spec.origin !== null) set('origin', spec.origin);
  const auth = resolveAuth(suite, spec.auth);
  const key = resolveKey(suite, spec.key);
  for (const [credential, resolved] of [
    [spec.auth, auth],
    [spec.key, key],
  ] as const) {
    for (const [name, value] of resolved.entries ?? []) set(name, value);
    if (resolved.value !== undefined && 'header' in credential) set(credential.header, resolved.value);
  }
  return {
    request: {
      method: spec.method,
      path: resolvePath(suite, spec.path),
      headers,
      body: resolveBody(suite, spec.body),
      remoteAddress: spec.remoteAddress,
    },
    auth: auth.class,
    key: key.class,
  };
}

// ---------------------------------------------------------------------------------------------------
// Judging one answer
// ---------------------------------------------------------------------------------------------------

const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;
const LONE_SURROGATE = /\p{Cs}/u;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function headerOf(headers: HttpHeaders, name: string): string | null {
  const found = Object.keys(headers).filter((key) => key.toLowerCase() === name);
  if (found.length === 0) return null;
  return found.map((key) => [headers[key]].flat().join(', ')).join(', ');
}

/** Independent reading of HTTP.md's JSON rule: `application/json`, optionally `charset=utf-8`. */
function isJsonMediaType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const [media, ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (media !== 'application/json') return false;
  return parameters.every((parameter) => {
    const [name, value = ''] = parameter.split('=').map((part) => part.trim());
    return name !== 'charset' || ['utf-8', 'utf8', '"utf-8"'].includes(value);
  });
}

function anyString(value: unknown, test: (text: string) => boolean, depth = 0): boolean {
  if (depth > 200) return false;
  if (typeof value === 'string') return test(value);
  if (Array.isArray(value)) return value.some((item) => anyString(item, test, depth + 1));
  if (isPlainObject(value)) {
    return Object.entries(value).some(([key, item]) => test(key) || anyString(item, test, depth + 1));
  }
  return false;
}

/**
 * Why a request must not succeed, as HTTP.md reads: empty when nothing forbids a 2xx. Each reason
 * starts with the tag its failure is reported under.
 */
function reasonsToRefuse(
  route: RouteInfo | null,
  request: HttpRequest,
  auth: CredentialClass,
  key: CredentialClass,
): string[] {
  const reasons: string[] = [];
  if (route === null) return ['[unknown route accepted]'];
  if (auth === 'invalid') reasons.push('[invalid Authorization accepted]');
  if (key === 'invalid') reasons.push('[invalid X-Api-Key accepted]');
  const raw = request.body;
  const size =
    raw === null || raw === undefined ? 0 : typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size > BODY_LIMIT) return [...reasons, '[oversized body accepted]'];
  let parsed: unknown = {};
  if (size > 0 && raw !== null && raw !== undefined) {
    if (!isJsonMediaType(headerOf(request.headers, 'content-type')))
      return [...reasons, '[non-JSON content type accepted]'];
    let text: string;
    try {
      text = typeof raw === 'string' ? raw : utf8.decode(raw);
    } catch {
      return [...reasons, '[non-UTF-8 body accepted]'];
    }
    try {
      parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch {
      return [...reasons, '[malformed JSON accepted]'];
    }
  }
  if (anyString(parsed, (text) => text.includes('\u0000'))) reasons.push('[NUL accepted]');
  if (route.body === 'none') {
    if (!isPlainObject(parsed)) reasons.push('[non-object body accepted]');
    else if (Object.keys(parsed).length > 0)
      reasons.push(
        `[unknown field accepted] ${Object.keys(parsed)
          .map((k) => JSON.stringify(k))
          .join(', ')} on a route that takes no body`,
      );
    return reasons;
  }
  const fields = BODY_SCHEMAS[route.key];
  if (!isPlainObject(parsed)) return [...reasons, '[non-object body accepted]'];
  const known = { ...fields.required, ...fields.optional };
  const unknown = Object.keys(parsed).filter((name) => !Object.hasOwn(known, name));
  if (unknown.length > 0) reasons.push(`[unknown field accepted] ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
  for (const name of Object.keys(fields.required)) {
    if (!Object.hasOwn(parsed, name)) reasons.push(`[missing field accepted] ${name}`);
  }
  for (const [name, kind] of Object.entries(known)) {
    if (!Object.hasOwn(parsed, name)) continue;
    const value = parsed[name];
    const type = FIELD_TYPES[kind];
    const typeOk = type === 'array' ? Array.isArray(value) : typeof value === type;
    if (!typeOk)
      reasons.push(
        `[wrongly typed field accepted] ${name}: ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`,
      );
    if (kind === 'restrictions' && Array.isArray(value)) {
      value.forEach((item, index) => {
        if (!isPlainObject(item)) {
          reasons.push(`[wrongly typed field accepted] restrictions.${index}`);
          return;
        }
        const extra = Object.keys(item).filter((field) => !RESTRICTION_FIELDS.includes(field));
        if (extra.length > 0) reasons.push(`[unknown field accepted] restrictions.${index}.${extra.join(',')}`);
      });
    }
  }
  if (anyString(parsed, (text) => LONE_SURROGATE.test(text))) reasons.push('[lone surrogate accepted]');
  return reasons;
}

function envelopeProblems(route: RouteInfo | null, response: HttpResponse): string[] {
  const problems: string[] = [];
  const { status, body, headers } = response;
  const lower = Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const keys = isPlainObject(body) ? Object.keys(body) : null;
  try {
    if (body !== undefined) JSON.stringify(body);
  } catch (error) {
    problems.push(`[envelope] body is not serializable: ${String(error)}`);
  }
  if (body !== undefined && !String(lower['content-type'] ?? '').startsWith('application/json')) {
    problems.push(`[envelope] a JSON body with content-type ${JSON.stringify(lower['content-type'])}`);
  }
  if (status >= 200 && status < 300) {
    if (status === 204) {
      if (body !== undefined) problems.push('[envelope] 204 with a body');
    } else if (route?.key === 'GET /.well-known/jwks.json') {
      if (keys?.join() !== 'keys' || !Array.isArray((body as { keys: unknown }).keys))
        problems.push('[envelope] JWKS is not a bare { keys: [] }');
    } else if (route?.key === 'GET /openapi.json') {
      if (!isPlainObject(body) || body.openapi !== '3.1.0' || !isPlainObject(body.paths))
        problems.push('[envelope] the OpenAPI document is not a bare OpenAPI 3.1 object');
    } else if (route?.paged) {
      const page = body as { data?: unknown; nextCursor?: unknown };
      if (keys?.join() !== 'data,nextCursor' || !Array.isArray(page.data))
        problems.push(
          `[envelope] ${status} of a list is not exactly { data: [], nextCursor } (keys: ${JSON.stringify(keys)})`,
        );
      else if (page.nextCursor !== null && typeof page.nextCursor !== 'string')
        problems.push('[envelope] nextCursor is neither a string nor null');
    } else if (keys?.join() !== 'data') {
      problems.push(`[envelope] ${status} is not exactly { data } (keys: ${JSON.stringify(keys)})`);
    }
  } else if (status >= 400 && status < 500) {
    const error = isPlainObject(body) ? body.error : undefined;
    if (keys?.join() !== 'error' || !isPlainObject(error)) {
      problems.push(`[envelope] ${status} is not exactly { error } (keys: ${JSON.stringify(keys)})`);
    } else {
      // `challenge` belongs to MFA_REQUIRED alone (the token that completes a login with its second factor).
      const allowed =
        error.code === 'MFA_REQUIRED' ? ['code', 'message', 'details', 'challenge'] : ['code', 'message', 'details'];
      const extra = Object.keys(error).filter((name) => !allowed.includes(name));
      if (extra.length > 0) problems.push(`[envelope] error has extra keys ${extra.join(', ')}`);
      const { code, message, details } = error;
      if (typeof code !== 'string' || !UPPER_SNAKE.test(code))
        problems.push(`[envelope] code ${JSON.stringify(code)} is not UPPER_SNAKE`);
      else if (!KNOWN_CODES.has(code)) problems.push(`[envelope] code ${code} is not one of ERRORS / HTTP_ERRORS`);
      else {
        const expected = (route && STATUS_OVERRIDES[route.key]?.[code]) ?? DOCUMENTED_STATUS[code];
        if (expected !== undefined && expected !== status)
          problems.push(`[envelope] ${code} answered ${status}, documented ${expected}`);
      }
      if (typeof message !== 'string' || message === '') problems.push('[envelope] message is not a non-empty string');
      if (details !== undefined) {
        const valid =
          Array.isArray(details) &&
          details.length > 0 &&
          details.every(
            (detail) =>
              isPlainObject(detail) &&
              Object.keys(detail).sort().join() === 'message,path' &&
              typeof detail.path === 'string' &&
              typeof detail.message === 'string',
          );
        if (!valid)
          problems.push(
            `[envelope] details is not a non-empty array of { path, message }: ${JSON.stringify(details)?.slice(0, 200)}`,
          );
      }
      if (code === 'RATE_LIMITED' || status === 429) {
        const retryAfter = lower['retry-after'];
        if (typeof retryAfter !== 'string' || !/^[1-9][0-9]*$/.test(retryAfter))
          problems.push(`[envelope] 429 without a valid Retry-After (${JSON.stringify(retryAfter)})`);
      }
      if (status === 405 && typeof lower.allow !== 'string') problems.push('[envelope] 405 without Allow');
    }
  } else if (status < 500) {
    problems.push(`[envelope] unexpected status ${status}`);
  }
  const leaks = secretKeysIn(body);
  if (leaks.length > 0) problems.push(`[secret in answer] ${leaks.join(', ')}`);
  return problems;
}

function secretKeysIn(value: unknown, depth = 0): string[] {
  if (depth > 50 || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item) => secretKeysIn(item, depth + 1));
  return Object.entries(value).flatMap(([key, item]) => [
    ...(SECRET_KEYS.test(key) ? [key] : []),
    ...secretKeysIn(item, depth + 1),
  ]);
}

function errorCodeOf(response: HttpResponse): string | undefined {
  const body = response.body as { error?: { code?: unknown } } | undefined;
  return typeof body?.error?.code === 'string' ? body.error.code : undefined;
}

function truncate(text: string, max = 160): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}

function describeRequest(request: HttpRequest): string {
  const body = request.body;
  const shownBody =
    body === undefined || body === null
      ? String(body)
      : typeof body === 'string'
        ? JSON.stringify(truncate(body, 300))
        : `bytes[${body.byteLength}] ${Buffer.from(body.slice(0, 80)).toString('hex')}`;
  const headers = Object.entries(request.headers).map(
    ([name, value]) =>
      `${JSON.stringify(name)}: ${JSON.stringify(Array.isArray(value) ? value.map((v) => truncate(v, 120)) : truncate(String(value), 120))}`,
  );
  return [
    `${JSON.stringify(truncate(request.method, 40))} ${JSON.stringify(truncate(request.path, 200))}`,
    `headers { ${headers.join(', ')} }`,
    `body ${shownBody}`,
    `remoteAddress ${JSON.stringify(request.remoteAddress)}`,
  ].join('\n    ');
}

function describeResponse(response: HttpResponse): string {
  return `${response.status} ${truncate(JSON.stringify(response.body) ?? '(no body)', 400)}`;
}

/** Sends one generated request alone and checks every property; throws a tagged report on failure. */
async function exercise(suite: Suite, spec: HostileRequest): Promise<void> {
  const { request, auth, key } = materialize(suite, spec);
  const { knex } = suite.database;
  const before = suite.snapshot ?? (await snapshotDatabase(knex, suite.tables));
  const loggedBefore = suite.logged.length;
  const found = suite.router.lookup(request.method, request.path);
  const match = found !== null && 'match' in found ? found.match : null;
  const route = match
    ? (ROUTES.find((candidate) => candidate.key === `${match.route.method} ${match.route.path}`) ?? null)
    : null;

  let response: HttpResponse;
  try {
    response = await suite.handlers.dispatch(request);
  } catch (error) {
    throw new Error(`[dispatch threw] ${String(error)}\n  request:\n    ${describeRequest(request)}`);
  }
  await suite.accounts.settled();
  const after = await snapshotDatabase(knex, suite.tables);
  suite.snapshot = after;
  suite.stats.requests += 1;
  suite.stats.statuses.set(response.status, (suite.stats.statuses.get(response.status) ?? 0) + 1);

  const problems: string[] = [];
  const code = errorCodeOf(response);
  if (process.env.HOSTILE_TRACE) {
    process.stdout.write(
      `${request.method} ${truncate(request.path, 60)} ${truncate(typeof request.body === 'string' ? request.body : String(request.body), 100)} -> ${response.status} ${code ?? ''}\n`,
    );
  }
  if (response.status >= 500) problems.push(`[5xx] answered ${response.status} ${code ?? ''}`);
  if (suite.logged.length > loggedBefore) {
    problems.push(
      `[5xx] the handlers logged an unexpected error: ${JSON.stringify(suite.logged.slice(loggedBefore)).slice(0, 300)}`,
    );
  }
  problems.push(...envelopeProblems(route, response));
  let diff: string[] = [];
  if (response.status >= 400) {
    const reuse = route?.key === 'POST /authn/refresh' && code === 'INVALID_REFRESH_TOKEN';
    diff = diffSnapshots(before, after, reuse ? REFRESH_REUSE_MAY_CHANGE : REJECTION_MAY_CHANGE);
    if (diff.length > 0) problems.push(`[db changed by a rejected request] ${response.status} ${code}`);
  }
  if (route !== null) {
    // Credentials are checked before anything else on every route (HTTP.md, SPEC §3).
    if (auth === 'invalid' && !(response.status === 401 && code === 'INVALID_TOKEN')) {
      problems.push(`[invalid Authorization not answered 401 INVALID_TOKEN] got ${response.status} ${code}`);
    }
    if (auth !== 'invalid' && key === 'invalid' && !(response.status === 401 && code === 'INVALID_CLIENT')) {
      problems.push(`[invalid X-Api-Key not answered 401 INVALID_CLIENT] got ${response.status} ${code}`);
    }
    if (auth === 'valid' && code === 'INVALID_TOKEN')
      problems.push('[valid token refused] (generator or world out of sync)');
    if (auth !== 'invalid' && key === 'valid' && code === 'INVALID_CLIENT')
      problems.push('[valid key refused] (generator or world out of sync)');
    if (auth !== 'invalid' && key === 'none') {
      const refusals = reasonsToRefuse(route, request, 'none', 'none');
      const expected: Record<string, [number, string]> = {
        '[oversized body accepted]': [413, 'PAYLOAD_TOO_LARGE'],
        '[non-JSON content type accepted]': [415, 'UNSUPPORTED_MEDIA_TYPE'],
        '[non-UTF-8 body accepted]': [400, 'INVALID_JSON'],
        '[malformed JSON accepted]': [400, 'INVALID_JSON'],
      };
      for (const reason of refusals) {
        const [status, wanted] = expected[reason] ?? [];
        if (status !== undefined && !(response.status === status && code === wanted)) {
          problems.push(
            `[${reason.slice(1, reason.indexOf(' accepted'))} not answered ${status} ${wanted}] got ${response.status} ${code}`,
          );
        }
      }
    }
  }
  if (response.status < 300)
    problems.push(...reasonsToRefuse(route, request, auth, key).map((reason) => `${reason} → ${response.status}`));

  // A success may change anything (a login by code even revokes the sessions of a pre-hijacked
  // account): rewinding after each one keeps every "valid" credential and id of `world` valid.
  if (response.status < 300 && request.method.toUpperCase() !== 'GET') await rewind(suite);

  if (problems.length > 0) {
    throw new Error(
      [
        problems.join('\n'),
        `  request:\n    ${describeRequest(request)}`,
        `  response: ${describeResponse(response)}`,
        ...(diff.length > 0
          ? ['  database diff:', ...diff.slice(0, 12).map((line) => `    ${truncate(line, 300)}`)]
          : []),
      ].join('\n'),
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------------

/** `fc.oneof` over weighted choices, leaving out those of weight 0. */
function weighted<T>(...choices: { weight: number; arbitrary: fc.Arbitrary<T> }[]): fc.Arbitrary<T> {
  return fc.oneof(...choices.filter(({ weight }) => weight > 0));
}
const rarely = weighted({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });

/** Keys that are not Object.prototype members: those have their own tests (`FOCUSED`). */
const plainKey = fc.string({ maxLength: 12 }).filter((key) => !(key in Object.prototype));
const PROTOTYPE_KEYS = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'] as const;

const LONE_SURROGATES = ['\ud800', '\udfff', 'a\ud83db', '\udc00\ud800', 'x'.repeat(5) + '\ud834'];
const ODD_TEXT = [
  '\u0000',
  'a\u0000b',
  'e\u0301',
  '\u202eevil\u202c',
  '\ufeff',
  '\u200b\u200d',
  'ﬃ',
  'Ａｄａ',
  'İstanbul',
  'ß',
  '🐙🏳️‍🌈',
  '\u00a0',
  '\r\n',
  '\t',
  '\u2028\u2029',
  '\u{10ffff}',
  '\ufffd',
  'Z̸̧̛̙̞a̵̢̛l̷̡g̶o̴',
];
const oddString = fc.oneof(
  fc.constantFrom(...LONE_SURROGATES, ...ODD_TEXT),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ maxLength: 20 }),
);

const jsonScalar = fc.oneof(
  fc.string({ maxLength: 16 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const { json: plainJson } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    jsonScalar,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(plainKey, tie('json'), { maxKeys: 4 }),
  ),
}));
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
  fc.dictionary(plainKey, fc.string({ maxLength: 4 }), { maxKeys: 2 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const ref = (pool: Pool) => fc.nat({ max: 40 }).map((index) => new Ref(pool, index));
const refTransformed = (pool: Pool) =>
  fc
    .tuple(fc.nat({ max: 40 }), fc.constantFrom('upper', 'pad') as fc.Arbitrary<'upper' | 'pad'>)
    .map(([index, t]) => new Ref(pool, index, t));

const emailValue = fc.oneof(
  { weight: 4, arbitrary: ref('email') },
  { weight: 2, arbitrary: ref('pendingEmail') },
  { weight: 1, arbitrary: refTransformed('email') },
  { weight: 2, arbitrary: fc.nat().map((n) => `new${n}@example.com`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'not-an-email',
      '@',
      'a@b',
      '',
      ' ',
      `${'a'.repeat(65)}@example.com`,
      `x@${'a'.repeat(250)}.com`,
      'a@@example.com',
      'a b@example.com',
      '"quoted"@example.com',
      'ünï@exämple.com',
      'Ａｄａ@example.com',
    ),
  },
  { weight: 1, arbitrary: fc.emailAddress() },
  { weight: 1, arbitrary: oddString },
);

const FIELD_VALUES: Record<FieldKind, fc.Arbitrary<unknown>> = {
  name: fc.oneof(
    fc.constantFrom('Ada Lovelace', '  Padded  ', 'x'.repeat(200), 'x'.repeat(201), '', '   ', 'tab\there', 'Zoë 🐙'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    oddString,
  ),
  email: emailValue,
  password: fc.oneof(
    { weight: 4, arbitrary: fc.constant(STRONG_PASSWORD) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'short',
        'password1234',
        'CORRECT HORSE BATTERY STAPLE',
        'x'.repeat(4097),
        'x'.repeat(1025),
        '',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 12, maxLength: 24 }) },
    { weight: 1, arbitrary: oddString },
  ),
  code: fc.oneof(
    { weight: 3, arbitrary: ref('pendingCode') },
    { weight: 3, arbitrary: ref('loginCode') },
    { weight: 2, arbitrary: fc.constantFrom('000000', '', ' ', ' 123456 ', 'x'.repeat(65), '１２３４５６') },
    { weight: 1, arbitrary: fc.stringMatching(/^\d{6}$/) },
    { weight: 1, arbitrary: oddString },
  ),
  state: fc.oneof(
    { weight: 4, arbitrary: ref('loginState') },
    {
      weight: 2,
      arbitrary: fc.constantFrom('s'.repeat(16), 'short', 'é'.repeat(16), 'x'.repeat(129), 'x'.repeat(128)),
    },
    { weight: 1, arbitrary: fc.string({ minLength: 16, maxLength: 40 }) },
    { weight: 1, arbitrary: oddString },
  ),
  // No real invitation exists in the seeded world: every token is refused alike.
  token: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('', 'x'.repeat(43), 'x'.repeat(513), 'x'.repeat(512)) },
    { weight: 1, arbitrary: oddString },
  ),
  refreshToken: fc.oneof(
    { weight: 1, arbitrary: ref('refreshToken') },
    { weight: 3, arbitrary: ref('consumedRefreshToken') },
    { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(513), 'x'.repeat(512)) },
    { weight: 1, arbitrary: oddString },
  ),
  userId: fc.oneof(
    { weight: 4, arbitrary: ref('user') },
    { weight: 1, arbitrary: ref('staleId') },
    { weight: 1, arbitrary: fc.constantFrom('me', '', 'usr_', 'x'.repeat(513)) },
    { weight: 1, arbitrary: oddString },
  ),
  role: fc.constantFrom('member', 'admin', 'owner', 'member', 'admin', 'Owner', 'root', 'sysadmin', '', ' admin'),
  reqsPerSec: fc.oneof(fc.constantFrom(-1, 0, 1, 10, 1_000_000, 1_000_001, -2, 1.5, 1e308, -0), fc.integer()),
  all: fc.oneof({ weight: 4, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom('true', 1, 0) }),
  emails: fc.oneof(
    { weight: 5, arbitrary: fc.array(emailValue, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constant(Array.from({ length: 11 }, (_, i) => `bulk${i}@example.com`)) },
  ),
  restrictions: fc.oneof(
    {
      weight: 5,
      arbitrary: fc.array(
        fc.record({
          type: fc.constantFrom('ip', 'host', 'api', 'ip', 'host', 'api', 'IP', 'dns', ''),
          value: fc.oneof(
            fc.constantFrom(
              '203.0.113.0/24',
              '10.1.2.3/8',
              '::ffff:1.2.3.4',
              '2001:db8::1',
              'app.example.com',
              '*.example.com',
              'accounts',
              '*',
              '',
              '999.1.1.1',
              '1.2.3.4/33',
              '01.2.3.4',
              'x'.repeat(301),
            ),
            fc.ipV4(),
            fc.ipV6(),
            fc.domain(),
            oddString,
          ),
        }),
        { maxLength: 3 },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constant(Array.from({ length: 101 }, (_, i) => ({ type: 'ip', value: `10.0.0.${i % 250}` }))),
    },
  ),
  ids: fc.oneof(
    { weight: 5, arbitrary: fc.array(fc.oneof(ref('restriction'), ref('staleId'), oddString), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constant(Array.from({ length: 101 }, (_, i) => `res_${i}`)) },
  ),
};

interface ShapeOptions {
  /** Share of fields given a value of the wrong JSON type (0 to 1). */
  wrongTypes: number;
  /** Whether required fields may be missing and unknown (non-prototype) fields may appear. */
  sloppy: boolean;
  /** Values to use instead of `FIELD_VALUES` for some kinds of field. */
  values?: Partial<Record<FieldKind, fc.Arbitrary<unknown>>>;
}

/** A body shaped like what the route expects, with real values of the world, more or less wrong. */
function shapedObject(route: RouteInfo, options: ShapeOptions): fc.Arbitrary<Record<string, unknown>> {
  const fields = BODY_SCHEMAS[route.key];
  if (route.body === 'none' || fields === undefined) return fc.constant({});
  const value = (kind: FieldKind) =>
    options.wrongTypes === 0
      ? (options.values?.[kind] ?? FIELD_VALUES[kind])
      : weighted<unknown>(
          {
            weight: Math.round((1 - options.wrongTypes) * 20),
            arbitrary: options.values?.[kind] ?? FIELD_VALUES[kind],
          },
          { weight: Math.round(options.wrongTypes * 20), arbitrary: wrongType },
        );
  const ABSENT = Symbol('absent');
  const entries = [
    ...Object.entries(fields.required).map(([name, kind]) =>
      options.sloppy
        ? fc.option(
            value(kind).map((v) => [name, v] as const),
            { freq: 12, nil: ABSENT },
          )
        : value(kind).map((v) => [name, v] as const),
    ),
    ...Object.entries(fields.optional).map(([name, kind]) =>
      fc.option(
        value(kind).map((v) => [name, v] as const),
        { freq: 2, nil: ABSENT },
      ),
    ),
  ];
  const extras = options.sloppy
    ? fc.option(fc.dictionary(plainKey, jsonScalar, { minKeys: 1, maxKeys: 2 }), { freq: 6, nil: {} })
    : fc.constant({});
  return fc.tuple(fc.tuple(...entries), extras).map(([chosen, extra]) => {
    const object: Record<string, unknown> = {};
    for (const entry of chosen) if (typeof entry !== 'symbol') object[entry[0]] = entry[1];
    for (const [name, item] of Object.entries(extra)) if (!Object.hasOwn(object, name)) object[name] = item;
    return object;
  });
}

const jsonEncoding = fc.constantFrom('text', 'text', 'text', 'text', 'bytes', 'bom') as fc.Arbitrary<
  'text' | 'bytes' | 'bom'
>;
const absentBody = fc
  .constantFrom('undefined', 'null', 'empty', 'emptyBytes')
  .map((as) => ({ kind: 'absent', as }) as BodySpec);

function shapedBody(route: RouteInfo, options: ShapeOptions): fc.Arbitrary<BodySpec> {
  if (route.body === 'none') {
    return weighted(
      { weight: 4, arbitrary: absentBody },
      {
        weight: 2,
        arbitrary: jsonEncoding.map((encoding) => ({ kind: 'json', value: {}, extras: [], encoding }) as BodySpec),
      },
      {
        weight: options.sloppy ? 1 : 0,
        arbitrary: plainJson.map((value) => ({ kind: 'json', value, extras: [], encoding: 'text' }) as BodySpec),
      },
    );
  }
  return fc
    .tuple(shapedObject(route, options), jsonEncoding)
    .map(([value, encoding]) => ({ kind: 'json', value, extras: [], encoding }) as BodySpec);
}

const idPools: IdPool[] = ['user', 'organization', 'membership', 'client', 'session', 'restriction', 'staleId'];
const TEXT_PARAMS = [
  '..',
  '.',
  '%00',
  '%zz',
  '%',
  '%2F',
  '%2e%2e',
  'ME',
  'Me',
  'me%00',
  'null',
  'undefined',
  'NaN',
  '0',
  '-1',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '%E0%A4%A',
  '%C0%AF',
  '%ED%A0%80',
  '%F0%9F%98%80',
  '%20',
  '%09',
  '%7F',
  'a'.repeat(256),
  'a'.repeat(257),
  '%61'.repeat(256),
  'a'.repeat(10_000),
  '*',
  "'; drop table users; --",
  '" or 1=1 --',
  'usr_%',
  'usr__',
  '%5C',
  ':id',
  'usr_' + 'A'.repeat(21),
];
const garbageParam: fc.Arbitrary<ParamSpec> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(...TEXT_PARAMS).map((text) => ({ kind: 'text', text, encode: false }) as ParamSpec),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(oddString, fc.boolean()).map(([text, encode]) => ({ kind: 'text', text, encode }) as ParamSpec),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...idPools), fc.nat({ max: 40 }))
      .map(([pool, index]) => ({ kind: 'ref', pool, index }) as ParamSpec),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...idPools),
        fc.nat({ max: 40 }),
        fc.constantFrom('upper', 'suffix', 'truncate', 'percent', 'wildcard') as fc.Arbitrary<
          'upper' | 'suffix' | 'truncate' | 'percent' | 'wildcard'
        >,
      )
      .map(([pool, index, mutation]) => ({ kind: 'mutated', pool, index, mutation }) as ParamSpec),
  },
);

function validParam(kind: IdPool): fc.Arbitrary<ParamSpec> {
  const real = fc.nat({ max: 40 }).map((index) => ({ kind: 'ref', pool: kind, index }) as ParamSpec);
  return kind === 'user' ? fc.oneof(real, fc.constant({ kind: 'me' } as ParamSpec)) : real;
}

const SUFFIXES = ['', '', '', '', '', '', '/', '?x=1', '?__proto__=1', '#x', '//', '/extra', '?'];

function routePath(route: number, validShare: number, suffixes: readonly string[] = SUFFIXES): fc.Arbitrary<PathSpec> {
  const { param } = ROUTES[route];
  const params =
    param === null
      ? fc.constant([] as ParamSpec[])
      : weighted(
          { weight: Math.round(validShare * 10), arbitrary: validParam(param) },
          { weight: Math.round((1 - validShare) * 10), arbitrary: garbageParam },
        ).map((spec) => [spec]);
  return fc
    .tuple(params, fc.constantFrom(...suffixes))
    .map(([list, suffix]) => ({ kind: 'route', route, params: list, suffix }) as PathSpec);
}

const RAW_PATHS = [
  '',
  '/',
  '//',
  '///users',
  'users',
  '/users/',
  '/USERS',
  '/users/me/',
  '/users/me/..',
  '/users/./me',
  '/users/me/../me',
  '/.well-known/jwks.json/',
  '/.well-known/',
  '/.well-known/jwks.json/x',
  '/%',
  '/%zz',
  '/users/%ED%A0%80',
  '/users/%00',
  '/users/%2e%2e',
  '/organizations/%2F',
  '/\u0000',
  `/users/${'a'.repeat(300)}`,
  `/${'a/'.repeat(2000)}`,
  '/users?',
  '?',
  '/users/me/sessions/x',
  '/api/users',
  '/__proto__',
  '/constructor',
  '/toString',
  '/users/constructor',
  '/hasOwnProperty',
  '/users/me/login-emails/extra',
  '/authn',
  '/authn/',
  '/authn/password/',
  '\\users\\me',
  'http://evil.test/users',
  '/users/me#',
  '/users/me;x=1',
];
const rawPath: fc.Arbitrary<PathSpec> = fc
  .oneof(
    { weight: 3, arbitrary: fc.constantFrom(...RAW_PATHS) },
    { weight: 2, arbitrary: fc.webPath() },
    { weight: 2, arbitrary: fc.array(oddString, { maxLength: 5 }).map((segments) => `/${segments.join('/')}`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  )
  .map((path) => ({ kind: 'raw', path }) as PathSpec);

const ODD_METHODS = [
  'PUT',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'get',
  'Post',
  'pAtCh',
  'delete',
  '',
  ' GET',
  'GET ',
  'G\u0000T',
  'DELETE\r\n',
  '__proto__',
  'constructor',
  'toString',
  'poſt',
  'GET\ud800',
];
function methodFor(route: RouteInfo, sameShare: number): fc.Arbitrary<string> {
  return weighted(
    { weight: Math.round(sameShare * 20), arbitrary: fc.constant(route.method) },
    { weight: Math.round((1 - sameShare) * 10), arbitrary: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE') },
    { weight: Math.round((1 - sameShare) * 8), arbitrary: fc.constantFrom(...ODD_METHODS) },
    { weight: Math.round((1 - sameShare) * 2), arbitrary: fc.string({ maxLength: 8 }) },
  );
}

const authHeaderName = fc.constantFrom('authorization', 'authorization', 'Authorization', 'AUTHORIZATION');
const keyHeaderName = fc.constantFrom('x-api-key', 'x-api-key', 'X-Api-Key', 'X-API-KEY');
const validAuth: fc.Arbitrary<AuthSpec> = fc
  .record({
    person: fc.nat({ max: 5 }),
    scheme: fc.constantFrom('Bearer ', 'Bearer ', 'Bearer ', 'bearer ', 'BEARER ', 'Bearer    '),
    asArray: rarely,
    header: authHeaderName,
  })
  .map((spec) => ({ kind: 'valid', ...spec }) as AuthSpec);
const GARBAGE_AUTH = [
  '',
  'Bearer',
  'Bearer ',
  'Bearer  ',
  'Basic dXNlcjpwYXNz',
  'Bearer null',
  'Bearer undefined',
  'Token abc',
  `Bearer ${'a'.repeat(5000)}`,
  'Bearer a.b.c',
  'Bearer eyJ',
  '\u0000',
  'Bearer \u0000',
  'Bearer tok\r\nX-Api-Key: x',
  'Bearer ey.ey.ey ',
  ' Bearer x',
  'Bearer\tx',
  'Bearer x y',
  'Bearer ===',
  'Bearer é',
  'Bearer \ud800',
];
const invalidAuth: fc.Arbitrary<AuthSpec> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .record({ index: fc.nat({ max: 40 }), header: authHeaderName })
      .map((s) => ({ kind: 'stale', ...s }) as AuthSpec),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ index: fc.nat({ max: 6 }), header: authHeaderName })
      .map((s) => ({ kind: 'crafted', ...s }) as AuthSpec),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        value: fc.oneof(
          fc.constantFrom(...GARBAGE_AUTH),
          fc.string({ maxLength: 40 }),
          oddString.map((s) => `Bearer ${s}`),
          fc.array(fc.constantFrom(...GARBAGE_AUTH), { minLength: 2, maxLength: 3 }),
        ),
        header: authHeaderName,
      })
      .map((s) => ({ kind: 'literal', ...s }) as AuthSpec),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ a: fc.nat({ max: 5 }), b: fc.nat({ max: 5 }), header: authHeaderName })
      .map((s) => ({ kind: 'twoValid', ...s }) as AuthSpec),
  },
);
/** Generated only by their own test, so that this failure shows up there alone. */
const caseDuplicateAuth = fc
  .record({ person: fc.nat({ max: 5 }), garbage: fc.constantFrom(...GARBAGE_AUTH), validFirst: fc.boolean() })
  .map((s) => ({ kind: 'caseDuplicate', ...s }) as AuthSpec);
const validKey: fc.Arbitrary<KeySpec> = fc
  .record({
    client: fc.nat({ max: 3 }),
    pad: fc.constantFrom('', '', '', '', ' ', '\t', '\u00a0'),
    asArray: rarely,
    header: keyHeaderName,
  })
  .map((spec) => ({ kind: 'valid', ...spec }) as KeySpec);
const GARBAGE_KEYS = [
  '',
  '   ',
  'ak_',
  'ak_cli_',
  'ak_cli_x_',
  'ak_cli_x_y',
  'ak__x_y',
  `ak_cli_${'A'.repeat(5000)}_x`,
  'AK_cli_x_y',
  'ak_cli-x_y',
  '\u0000',
  'ak_cli_é_y',
];
const invalidKey: fc.Arbitrary<KeySpec> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .record({ index: fc.nat({ max: 40 }), header: keyHeaderName })
      .map((s) => ({ kind: 'stale', ...s }) as KeySpec),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        client: fc.nat({ max: 3 }),
        mutation: fc.constantFrom(
          'append',
          'truncate',
          'flip',
          'upper',
          'emptySecret',
          'otherSecret',
          'bearer',
        ) as fc.Arbitrary<KeyMutation>,
        header: keyHeaderName,
      })
      .map((s) => ({ kind: 'wrong', ...s }) as KeySpec),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        value: fc.oneof(
          fc.constantFrom(...GARBAGE_KEYS),
          fc.string({ maxLength: 40 }),
          oddString,
          fc.array(fc.constantFrom(...GARBAGE_KEYS), { minLength: 2, maxLength: 3 }),
        ),
        header: keyHeaderName,
      })
      .map((s) => ({ kind: 'literal', ...s }) as KeySpec),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ a: fc.nat({ max: 3 }), b: fc.nat({ max: 3 }), header: keyHeaderName })
      .map((s) => ({ kind: 'twoValid', ...s }) as KeySpec),
  },
);
const caseDuplicateKey = fc
  .record({ client: fc.nat({ max: 3 }), garbage: fc.constantFrom(...GARBAGE_KEYS), validFirst: fc.boolean() })
  .map((s) => ({ kind: 'caseDuplicate', ...s }) as KeySpec);
const noCredential = fc.constant({ kind: 'none' } as const);

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;charset=UTF8',
  'application/json; charset="utf-8"',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/jsonx',
  'application/json+x',
  'application/ld+json',
  '',
  ' ',
  'json',
  '*/*',
  'application/json\u0000',
];
const goodContentType = fc.constantFrom('application/json', 'application/json', 'application/json; charset=utf-8');
const anyContentType = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) as fc.Arbitrary<string | string[] | null> },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant(['application/json', 'text/plain'] as string[]) },
  { weight: 1, arbitrary: fc.constant(['application/json', 'application/json'] as string[]) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

const remoteAddress = fc.oneof(
  { weight: 6, arbitrary: fc.constant(PEER) as fc.Arbitrary<string | null | undefined> },
  { weight: 2, arbitrary: fc.ipV4() },
  { weight: 1, arbitrary: fc.ipV6() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      null,
      undefined,
      '',
      'garbage',
      '::ffff:203.0.113.9',
      '[2001:db8::1]',
      '2001:db8::1%eth0',
      '999.1.1.1',
    ),
  },
);
const origin = fc.oneof(
  { weight: 6, arbitrary: fc.constant(null) as fc.Arbitrary<string | null> },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'https://app.example.com',
      'https://a.b.example.com:8443',
      'https://example.com',
      'https://evil.test',
      'null',
      'https://evil.test\\@app.example.com',
    ),
  },
  { weight: 1, arbitrary: oddString },
);
const userAgent = fc.oneof(
  { weight: 6, arbitrary: fc.constant('jest-hostile') as fc.Arbitrary<string | null> },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(10_000)) },
  { weight: 1, arbitrary: oddString },
);
const RESERVED_HEADERS = ['authorization', 'x-api-key', 'content-type', 'origin', 'user-agent'];
const extraHeaders = fc.oneof(
  { weight: 6, arbitrary: fc.constant([] as [string, string][]) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc
        .tuple(
          fc.oneof(
            fc.constantFrom(
              'x-forwarded-for',
              'cookie',
              'host',
              'constructor',
              'toString',
              'content-length',
              'transfer-encoding',
            ),
            fc.string({ minLength: 1, maxLength: 10 }),
          ),
          fc.oneof(fc.string({ maxLength: 20 }), oddString, fc.constant('1.2.3.4, 203.0.113.7')),
        )
        .filter(([name]) => !RESERVED_HEADERS.includes(name.toLowerCase()) && name !== '__proto__'),
      { maxLength: 3 },
    ),
  },
);

interface Profile {
  /** Indexes into ROUTES to aim at; default all. */
  routes?: number[];
  method?: (route: RouteInfo) => fc.Arbitrary<string>;
  path?: (route: number) => fc.Arbitrary<PathSpec>;
  auth?: fc.Arbitrary<AuthSpec>;
  key?: fc.Arbitrary<KeySpec>;
  contentType?: fc.Arbitrary<string | string[] | null>;
  body: (route: RouteInfo) => fc.Arbitrary<BodySpec>;
}

const someAuth = fc.oneof(
  { weight: 6, arbitrary: validAuth },
  { weight: 2, arbitrary: noCredential as fc.Arbitrary<AuthSpec> },
  { weight: 1, arbitrary: invalidAuth },
);
const someKey = fc.oneof(
  { weight: 7, arbitrary: noCredential as fc.Arbitrary<KeySpec> },
  { weight: 2, arbitrary: validKey },
  { weight: 1, arbitrary: invalidKey },
);
/** Mostly the sysadmin (who may do everything, so bodies reach the codecs), sometimes anyone. */
const powerfulAuth = fc.oneof(
  { weight: 3, arbitrary: validAuth.map((spec) => ({ ...spec, person: 0 }) as AuthSpec) },
  { weight: 2, arbitrary: validAuth },
  { weight: 1, arbitrary: noCredential as fc.Arbitrary<AuthSpec> },
);

function requests(profile: Profile): fc.Arbitrary<HostileRequest> {
  const routeIndex = profile.routes ? fc.constantFrom(...profile.routes) : fc.nat({ max: ROUTES.length - 1 });
  return routeIndex.chain((index) => {
    const route = ROUTES[index];
    return fc.record({
      method: (profile.method ?? ((r: RouteInfo) => methodFor(r, 0.9)))(route),
      path: (profile.path ?? ((i: number) => routePath(i, 0.85)))(index),
      auth: profile.auth ?? someAuth,
      key: profile.key ?? someKey,
      contentType: profile.contentType ?? goodContentType,
      origin,
      userAgent,
      extraHeaders,
      body: profile.body(route),
      remoteAddress,
    });
  });
}

const MALFORMED = [
  '{',
  '}',
  '[',
  '{"name":}',
  "{'name':'x'}",
  '{"name":"x",}',
  '{"name":"x"} trailing',
  'NaN',
  'Infinity',
  '-Infinity',
  'undefined',
  '{"a":1}{"b":2}',
  '/* c */ {}',
  '{} // c',
  '{"name":"\\x41"}',
  '{"name":"\\u12"}',
  '{"name":"a\nb"}',
  '{"name":"\t"}',
  '{name:"x"}',
  '\ufeff\ufeff{}',
  ' ',
  '\n',
  '\u00a0{}',
  '1e999',
  '{"a":01}',
  '{"a":.5}',
  '{"a":+1}',
  '{"a":0x10}',
  '"unterminated',
  '{"a":"\\ud800"}',
  '{"name":"a\\u0000b"}',
  '{"\\u0000":1}',
  '"\\u0000"',
  '[] []',
  'true false',
  '{"a":[1,2}',
  'nul',
  'tru',
  '\u0000',
];
const VALID_NON_OBJECTS = ['null', 'true', 'false', '0', '-0', '1', '"str"', '[]', '[{}]', '""', '1e308', '[null]'];

/** Routes that write (every method but GET): where a refused request could leave something behind. */
const WRITE_ROUTES = ROUTES.flatMap((route, index) => (route.method === 'GET' ? [] : [index]));

/**
 * Values that pass every codec but collide with the world: taken and pending addresses mixed with a
 * few fresh ones (which are taken too once a request succeeds), real users and roles (existing members,
 * the last owner), wrong codes for real pending addresses, real and unknown restriction ids. These
 * reach the transactions, where a refusal must roll back whatever was already written.
 */
const NEAR_MISS_VALUES: Partial<Record<FieldKind, fc.Arbitrary<unknown>>> = {
  emails: fc.array(
    fc.oneof(
      { weight: 2, arbitrary: fc.nat({ max: 5 }).map((n) => `fresh${n}@example.com`) as fc.Arbitrary<unknown> },
      { weight: 2, arbitrary: fc.nat().map((n) => `fresh-${n}@example.com`) },
      { weight: 2, arbitrary: ref('email') },
      { weight: 1, arbitrary: ref('pendingEmail') },
    ),
    { minLength: 1, maxLength: 4 },
  ),
  email: fc.oneof(
    ref('email'),
    ref('pendingEmail'),
    fc.nat({ max: 5 }).map((n) => `fresh${n}@example.com`),
  ),
  password: fc.constantFrom(STRONG_PASSWORD, STRONG_PASSWORD, 'a wrong but long passphrase'),
  code: fc.oneof(ref('pendingCode'), ref('loginCode'), fc.constant('000000')),
  state: ref('loginState'),
  userId: ref('user'),
  role: fc.constantFrom('member', 'admin', 'owner'),
  name: fc.constantFrom('Renamed', 'Acme', 'Zoë 🐙'),
  reqsPerSec: fc.constantFrom(-1, 5, 1_000_000),
  all: fc.boolean(),
  ids: fc.array(fc.oneof(ref('restriction'), fc.constant('res_000000000000000000000')), { minLength: 1, maxLength: 3 }),
  restrictions: fc.array(
    fc.oneof(
      fc.constantFrom(
        { type: 'ip', value: '203.0.113.0/24' },
        { type: 'ip', value: '198.51.100.7' },
        { type: 'host', value: '*.example.com' },
        { type: 'api', value: 'accounts' },
        { type: 'api', value: 'billing' },
      ),
    ),
    { minLength: 1, maxLength: 4 },
  ),
};

/** Each family of hostile input, as one test on each database. */
interface Family {
  title: string;
  runs: number;
  requests: fc.Arbitrary<HostileRequest>;
}

const FAMILIES: Family[] = [
  {
    title: 'route table with real and garbage path parameters',
    runs: 450,
    requests: requests({
      path: (index) => routePath(index, 0.5),
      body: (route) => shapedBody(route, { wrongTypes: 0.1, sloppy: true }),
    }),
  },
  {
    title: 'unknown paths and odd methods',
    runs: 250,
    requests: requests({
      method: (route) => methodFor(route, 0.3),
      path: (index) => fc.oneof({ weight: 3, arbitrary: rawPath }, { weight: 1, arbitrary: routePath(index, 0.5) }),
      contentType: anyContentType,
      body: (route) => fc.oneof(shapedBody(route, { wrongTypes: 0.2, sloppy: true }), absentBody),
    }),
  },
  {
    title: 'valid-shaped bodies with real credentials and ids',
    runs: 800,
    requests: requests({
      auth: powerfulAuth,
      path: (index) => routePath(index, 0.95),
      body: (route) => shapedBody(route, { wrongTypes: 0.08, sloppy: true }),
    }),
  },
  {
    title: 'near misses: valid bodies that collide with the world',
    runs: 600,
    requests: requests({
      routes: WRITE_ROUTES,
      auth: validAuth,
      key: noCredential as fc.Arbitrary<KeySpec>,
      method: (route) => fc.constant(route.method),
      path: (index) => routePath(index, 1, ['']),
      body: (route) => shapedBody(route, { wrongTypes: 0, sloppy: false, values: NEAR_MISS_VALUES }),
    }),
  },
  {
    title: 'random JSON values as bodies',
    runs: 350,
    requests: requests({
      auth: powerfulAuth,
      path: (index) => routePath(index, 0.95),
      body: () =>
        fc
          .tuple(
            fc.oneof(
              plainJson,
              fc.dictionary(plainKey, plainJson, { maxKeys: 5 }),
              fc.array(plainJson, { maxLength: 4 }),
            ),
            jsonEncoding,
          )
          .map(([value, encoding]) => ({ kind: 'json', value, extras: [], encoding }) as BodySpec),
    }),
  },
  {
    title: 'malformed JSON',
    runs: 250,
    requests: requests({
      auth: powerfulAuth,
      path: (index) => routePath(index, 0.95),
      body: (route) =>
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc
              .constantFrom(...MALFORMED, ...VALID_NON_OBJECTS)
              .map((text) => ({ kind: 'text', text, encoding: 'text' }) as BodySpec),
          },
          {
            weight: 2,
            arbitrary: fc.tuple(shapedObject(route, { wrongTypes: 0, sloppy: false }), fc.nat()).map(([value, cut]) => {
              const text = JSON.stringify(value);
              return {
                kind: 'text',
                text: text.slice(0, Math.max(1, cut % text.length)),
                encoding: 'text',
              } as BodySpec;
            }),
          },
          {
            weight: 1,
            arbitrary: fc
              .string({ unit: 'binary', minLength: 1, maxLength: 40 })
              .map((text) => ({ kind: 'text', text, encoding: 'text' }) as BodySpec),
          },
        ),
    }),
  },
  {
    title: 'deep nesting',
    runs: 40,
    requests: requests({
      auth: powerfulAuth,
      path: (index) => routePath(index, 0.95),
      body: () =>
        fc
          .record({
            depth: fc.oneof(
              fc.constantFrom(1000, 5000, 10_000, 20_000, 51_199, 51_200, 60_000),
              fc.integer({ min: 100, max: 20_000 }),
            ),
            shape: fc.constantFrom('array', 'object', 'inField', 'unclosed', 'mixed') as fc.Arbitrary<
              'array' | 'object' | 'inField' | 'unclosed' | 'mixed'
            >,
          })
          .map((spec) => ({ kind: 'nested', ...spec }) as BodySpec),
    }),
  },
  {
    title: 'huge strings near the body limit',
    runs: 60,
    requests: requests({
      auth: powerfulAuth,
      path: (index) => routePath(index, 0.95),
      body: (route) =>
        fc
          .record({
            base: shapedObject(route, { wrongTypes: 0, sloppy: false }),
            field: fc.constantFrom(
              ...Object.keys({ ...BODY_SCHEMAS[route.key]?.required, ...BODY_SCHEMAS[route.key]?.optional }),
              'unknown',
            ),
            unitAndLimit: fc.constantFrom(['x', 1], ['é', 2], ['😀', 4]) as fc.Arbitrary<[string, number]>,
            margin: fc.integer({ min: -400, max: 40 }),
          })
          .map(
            ({ base, field, unitAndLimit: [unit, bytes], margin }) =>
              ({
                kind: 'huge',
                base,
                field,
                unit,
                count: Math.max(1, Math.floor((BODY_LIMIT + margin) / bytes) - 40),
              }) as BodySpec,
          ),
    }),
  },
  {
    title: 'odd Unicode, lone surrogates and NUL',
    runs: 300,
    requests: requests({
      auth: powerfulAuth,
      path: (index) => routePath(index, 0.8),
      body: (route) =>
        fc.oneof(
          {
            weight: 3,
            arbitrary: fc
              .tuple(shapedObject(route, { wrongTypes: 0, sloppy: false }), fc.nat(), oddString, fc.boolean())
              .map(([value, which, text, asKey]) => {
                const names = Object.keys(value);
                const copy: Record<string, unknown> = { ...value };
                if (asKey || names.length === 0) {
                  if (!(text in Object.prototype)) copy[text] = 'x';
                } else copy[names[which % names.length]] = text;
                return { kind: 'json', value: copy, extras: [], encoding: 'text' } as BodySpec;
              }),
          },
          {
            weight: 1,
            arbitrary: fc
              .tuple(
                shapedObject(route, { wrongTypes: 0, sloppy: false }),
                fc.constantFrom(...LONE_SURROGATES, '\u0000'),
              )
              .map(([value, text]) => {
                // Raw (unescaped) in the JSON text: a JS string body may carry what UTF-8 cannot.
                const json = JSON.stringify(value);
                return {
                  kind: 'text',
                  text: json.replace(/"([^"]*)"(?=[,}])/, `"$1${text}"`),
                  encoding: 'text',
                } as BodySpec;
              }),
          },
        ),
    }),
  },
  {
    title: 'garbage, stale and duplicated credentials',
    runs: 350,
    requests: requests({
      auth: fc.oneof(
        { weight: 4, arbitrary: invalidAuth },
        { weight: 2, arbitrary: validAuth },
        { weight: 1, arbitrary: noCredential as fc.Arbitrary<AuthSpec> },
      ),
      key: fc.oneof(
        { weight: 3, arbitrary: invalidKey },
        { weight: 2, arbitrary: validKey },
        { weight: 2, arbitrary: noCredential as fc.Arbitrary<KeySpec> },
      ),
      path: (index) => routePath(index, 0.9),
      body: (route) => shapedBody(route, { wrongTypes: 0.05, sloppy: false }),
    }),
  },
  {
    title: 'content types and raw bytes',
    runs: 200,
    requests: requests({
      auth: powerfulAuth,
      contentType: anyContentType,
      path: (index) => routePath(index, 0.95),
      body: (route) =>
        fc.oneof(
          { weight: 2, arbitrary: shapedBody(route, { wrongTypes: 0, sloppy: false }) },
          {
            weight: 2,
            arbitrary: fc
              .uint8Array({ minLength: 1, maxLength: 64 })
              .map((bytes) => ({ kind: 'bytes', bytes }) as BodySpec),
          },
          {
            weight: 2,
            arbitrary: fc
              .constantFrom(
                [0xff],
                [0xc0, 0xaf],
                [0xed, 0xa0, 0x80],
                [0xf4, 0x90, 0x80, 0x80],
                [0x7b, 0x7d, 0xff],
                [0xef, 0xbb, 0xbf, 0x7b, 0x7d],
                [0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d],
                [0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00],
                [0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d],
                [0x00],
              )
              .map((bytes) => ({ kind: 'bytes', bytes: Uint8Array.from(bytes) }) as BodySpec),
          },
        ),
    }),
  },
];

/**
 * Prototype-named fields: valid bodies (the sysadmin's credentials, real ids) plus one field named
 * after an Object.prototype member, at the top level or inside a restriction. Each must be refused
 * like any other unknown field.
 */
function prototypeKeyRequests(name: (typeof PROTOTYPE_KEYS)[number]): fc.Arbitrary<HostileRequest> {
  const protoValue = fc.oneof(jsonScalar, fc.constantFrom({}, { admin: true }, [], null, 'owner'));
  return requests({
    auth: powerfulAuth,
    key: noCredential as fc.Arbitrary<KeySpec>,
    method: (route) => fc.constant(route.method),
    path: (index) => routePath(index, 1),
    body: (route) =>
      fc
        .tuple(shapedObject(route, { wrongTypes: 0, sloppy: false }), protoValue, fc.boolean())
        .map(([value, extra, nested]) => {
          if (nested && Array.isArray(value.restrictions) && value.restrictions.length > 0) {
            const [first, ...rest] = value.restrictions as Record<string, unknown>[];
            const item = JSON.parse(jsonText(first, [[name, extra]]));
            return {
              kind: 'json',
              value: { ...value, restrictions: [item, ...rest] },
              extras: [],
              encoding: 'text',
            } as BodySpec;
          }
          return { kind: 'json', value, extras: [[name, extra]], encoding: 'text' } as BodySpec;
        }),
  });
}

/**
 * Hostile input that today's code mishandles, each in a test of its own (and generated nowhere else)
 * so every distinct failure has its own red line. All properties are checked as in `FAMILIES`.
 */
const FOCUSED: Family[] = [
  ...PROTOTYPE_KEYS.map((name) => ({
    title: `a field named ${JSON.stringify(name)} is refused like any unknown field, on every route`,
    runs: 60,
    requests: prototypeKeyRequests(name),
  })),
  {
    title: 'Authorization twice, under names differing in case, is refused with 401 like any duplicated credential',
    runs: 60,
    requests: requests({
      auth: caseDuplicateAuth,
      key: noCredential as fc.Arbitrary<KeySpec>,
      path: (index) => routePath(index, 1, ['']),
      body: (route) => shapedBody(route, { wrongTypes: 0, sloppy: false }),
    }),
  },
  {
    title: 'X-Api-Key twice, under names differing in case, is refused with 401 like any duplicated credential',
    runs: 60,
    requests: requests({
      auth: fc.oneof(validAuth, noCredential as fc.Arbitrary<AuthSpec>),
      key: caseDuplicateKey,
      path: (index) => routePath(index, 1, ['']),
      body: (route) => shapedBody(route, { wrongTypes: 0, sloppy: false }),
    }),
  },
];

// ---------------------------------------------------------------------------------------------------
// The suites
// ---------------------------------------------------------------------------------------------------

const assertOptions = (numRuns: number, index: number): fc.Parameters<[HostileRequest]> => ({
  numRuns: runs(numRuns),
  seed: SEED + index,
});

function hostileSuite(kind: DbKind): void {
  describeDb(kind, 'hostile requests through the route table', (database) => {
    let suite: Suite;

    beforeAll(async () => {
      suite = await createSuite(kind, database());
    }, 60_000);

    afterAll(() => {
      if (suite === undefined) return;
      const statuses = [...suite.stats.statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${status}×${count}`);
      process.stdout.write(
        `hostile requests [${kind}]: ${suite.stats.requests} requests, ${suite.stats.rewinds} rewinds to the seed; ${statuses.join(' ')}\n`,
      );
    });

    it('knows the body fields of every route that reads one', () => {
      const jsonRoutes = ROUTES.filter((route) => route.body === 'json').map((route) => route.key);
      expect(jsonRoutes.filter((key) => BODY_SCHEMAS[key] === undefined)).toEqual([]);
    });

    FAMILIES.forEach((family, index) => {
      it(`${family.title}: no 5xx, a valid envelope, and no trace of a rejected request`, async () => {
        await rewind(suite);
        await fc.assert(
          fc.asyncProperty(family.requests, (request) => exercise(suite, request)),
          assertOptions(family.runs, index),
        );
      }, 240_000);
    });

    FOCUSED.forEach((focused, index) => {
      it(focused.title, async () => {
        await rewind(suite);
        await fc.assert(
          fc.asyncProperty(focused.requests, (request) => exercise(suite, request)),
          assertOptions(focused.runs, FAMILIES.length + index),
        );
      }, 240_000);
    });

    it('reaches the services: real credentials get past authentication and some requests succeed', () => {
      const count = (predicate: (status: number) => boolean) =>
        [...suite.stats.statuses].filter(([status]) => predicate(status)).reduce((total, [, n]) => total + n, 0);
      expect(count((status) => status < 300)).toBeGreaterThan(suite.stats.requests * 0.03);
      expect(count((status) => status === 401)).toBeGreaterThan(0);
      expect(count((status) => status === 404)).toBeGreaterThan(0);
      // Conflicts come from the near misses; a scaled-down run (FC_SCALE < 1) may have too few.
      if (suite.stats.requests >= 1000) expect(count((status) => status === 409)).toBeGreaterThan(0);
    });
  });
}

hostileSuite('sqlite');
hostileSuite('mariadb');
