import { DefaultLib, type DefaultLibOptions, ManualClock, RecordingEmailer } from '../../src/adapters/lib';
import { MemoryIo, MemoryRateLimitStore } from '../../src/adapters/memory';
import { createAccounts } from '../../src/create-accounts';
import type { Accounts } from '../../src/domain/accounts';
import type { Caller, RequestInfo } from '../../src/domain/context';
import type { FieldsOptions } from '../../src/domain/custom-fields';
import type { Tokens } from '../../src/domain/sessions';
import type { UserRole } from '../../src/ports/entities';
import type { AccountsEvent } from '../../src/ports/events';
import type { Io } from '../../src/ports/io';
import type { AccountsConfig, Lib } from '../../src/ports/lib';

/** A fixed HS256 secret for tests (32 bytes or more, as the default Lib requires). */
export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
/** bcrypt's minimum cost keeps the suite fast; cost itself is tested in the Lib's own tests. */
export const TEST_BCRYPT_COST = 4;
export const START = new Date(Date.UTC(2030, 0, 1, 12, 0, 0, 0));
export const REQUEST: RequestInfo = { ip: '203.0.113.7', userAgent: 'jest' };
export const STRONG_PASSWORD = 'correct horse battery staple';

export interface TestWorld {
  accounts: Accounts;
  io: Io;
  lib: Lib;
  clock: ManualClock;
  emailer: RecordingEmailer;
  events: AccountsEvent[];
  rateLimits: MemoryRateLimitStore;
}

export interface WorldOptions {
  config?: Partial<AccountsConfig>;
  io?: Io;
  /** Build a custom Lib (e.g. a subclass) from the options the world would use. */
  makeLib?: (options: DefaultLibOptions) => Lib;
  libOptions?: Partial<DefaultLibOptions>;
  /** The application's own fields (`createAccounts({ fields })`). */
  fields?: FieldsOptions;
}

/** A complete accounts system on the in-memory Io, the default Lib, a manual clock and a recording emailer. */
export function makeWorld(options: WorldOptions = {}): TestWorld {
  const clock = new ManualClock(START);
  const emailer = new RecordingEmailer();
  const events: AccountsEvent[] = [];
  const libOptions: DefaultLibOptions = {
    config: options.config,
    passwords: { bcryptCost: TEST_BCRYPT_COST },
    tokens: { secret: TEST_JWT_SECRET },
    emailer,
    onEvent: (event) => {
      events.push(event);
    },
    clock: () => clock.now(),
    ...options.libOptions,
  };
  const lib = options.makeLib ? options.makeLib(libOptions) : new DefaultLib(libOptions);
  const io = options.io ?? new MemoryIo();
  const rateLimits = new MemoryRateLimitStore();
  const accounts = createAccounts({ io, lib, rateLimits, fields: options.fields });
  return { accounts, io, lib, clock, emailer, events, rateLimits };
}

/** Unwraps an Ok result, failing the test with the error otherwise. */
export function ok<T>(result: { ok: boolean; val: unknown }): T {
  if (!result.ok) throw new Error(`expected Ok, got ${JSON.stringify(result.val)}`);
  return result.val as T;
}

/** The error code of an Err result (fails the test on Ok). */
export function errCode(result: { ok: boolean; val: unknown }): string {
  if (result.ok) throw new Error(`expected Err, got Ok ${JSON.stringify(result.val)}`);
  return (result.val as { code: string }).code;
}

/**
 * The latest code emailed to an address, for the given purpose, once the emails still on their way
 * have gone out (login codes and resends are emailed after their answer).
 */
export async function lastCode(
  world: TestWorld,
  address: string,
  kind: 'verify-email' | 'login' | 'password-reset' = 'verify-email',
): Promise<string> {
  await world.accounts.settled();
  const message = [...world.emailer.sent].reverse().find((m) => m.to === address && m.kind === kind);
  if (!message) throw new Error(`no ${kind} email sent to ${address}`);
  return message.code;
}

export interface SignedInUser {
  userId: string;
  email: string;
  password: string;
  tokens: Tokens;
  caller: Caller;
}

let sequence = 0;

/** Registers a user and logs them in by password; returns their tokens and the strict caller. */
export async function signUp(
  world: TestWorld,
  overrides: { name?: string; email?: string; password?: string } = {},
): Promise<SignedInUser> {
  sequence += 1;
  const email = overrides.email ?? `user${sequence}@example.com`;
  const password = overrides.password ?? STRONG_PASSWORD;
  const user = ok<{ id: string }>(
    await world.accounts.users.register({ name: overrides.name ?? `User ${sequence}`, email, password }, REQUEST),
  );
  const tokens = ok<Tokens>(await world.accounts.sessions.loginWithPassword({ email, password }, REQUEST));
  const caller: Caller = { user: ok(await world.accounts.sessions.authenticate(tokens.accessToken)) };
  return { userId: user.id, email, password, tokens, caller };
}

/** Signs up a user and makes them a sysadmin directly in storage (there is no API to become the first one). */
export async function signUpSysadmin(world: TestWorld): Promise<SignedInUser> {
  const admin = await signUp(world, { name: 'Root' });
  await world.io.updateUser(admin.userId, { roles: ['sysadmin', 'user'], updatedAt: world.clock.now() });
  admin.caller = { user: ok(await world.accounts.sessions.authenticate(admin.tokens.accessToken)) };
  return admin;
}

/** Replaces the roles of the user who owns an address, as a sysadmin would (`users.setRoles`). */
export function grantRolesIn(world: TestWorld): (email: string, roles: string[]) => Promise<void> {
  return async (email, roles) => {
    const found = await world.io.findUserByEmail(email);
    if (!found) throw new Error(`no user has the address ${email}`);
    const system: Caller = { client: { id: 'cli_test_operator', organizationId: '', roles: ['system'] } };
    ok(await world.accounts.users.setRoles(system, found.user.id, { roles: roles as UserRole[] }));
  };
}

/** Signs up a user with the employee role. */
export async function signUpEmployee(world: TestWorld): Promise<SignedInUser> {
  const employee = await signUp(world, { name: 'Staff' });
  await world.io.updateUser(employee.userId, { roles: ['employee', 'user'], updatedAt: world.clock.now() });
  employee.caller = { user: ok(await world.accounts.sessions.authenticate(employee.tokens.accessToken)) };
  return employee;
}

/**
 * Wraps an Io so that one method throws (inside transactions too): proves that a failure in the
 * middle of a multi-step write leaves nothing behind.
 */
export function failingIo(io: Io, method: keyof Io, error = new Error('injected failure')): Io {
  const wrap = (target: Io): Io =>
    new Proxy(target, {
      get(object, property, receiver) {
        if (property === method) return () => Promise.reject(error);
        if (property === 'transaction') {
          return <T>(work: (tx: Io) => Promise<T>) => object.transaction((tx) => work(wrap(tx)));
        }
        const value = Reflect.get(object, property, receiver);
        return typeof value === 'function' ? value.bind(object) : value;
      },
    });
  return wrap(io);
}

/**
 * Records, for every password hash `lib` computes, whether a transaction of `io` was open at the time
 * (SPEC §8: bcrypt inside a transaction holds a connection for ~80 ms and stalls other requests).
 */
export function recordHashingInsideTransactions(io: Io, lib: Lib): boolean[] {
  let open = 0;
  const transaction = io.transaction.bind(io);
  io.transaction = async (work) => {
    open += 1;
    try {
      return await transaction(work);
    } finally {
      open -= 1;
    }
  };
  const hashPassword = lib.hashPassword.bind(lib);
  const hashedInsideTransaction: boolean[] = [];
  lib.hashPassword = async (password) => {
    hashedInsideTransaction.push(open > 0);
    return hashPassword(password);
  };
  return hashedInsideTransaction;
}
