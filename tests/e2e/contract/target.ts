/**
 * The HTTP contract (HTTP.md) as a transport-neutral test suite: the same scenarios run in-process over
 * `dispatch` (tests/handlers/contract.test.ts), over the wire against the example server
 * (tests/e2e/server*.test.ts) and through Express (tests/e2e/express.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { ResponseSchemas } from './response-schemas';

/** A response as a client sees it: lower-cased header names, the parsed JSON body (or null). */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: JSON off the wire, which the tests' assertions check field by field
  body: any;
}

export interface SendOptions {
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as is; give the content type in `headers`. */
  raw?: string;
  headers?: Record<string, string>;
  token?: string;
  apiKey?: string;
}

/** What a transport provides for the contract to run against it. */
export interface ContractTarget {
  send(method: string, path: string, options?: SendOptions): Promise<Reply>;
  /** The latest code emailed to an address for a purpose. */
  lastCode(address: string, kind: CodeKind): Promise<string>;
  /**
   * Replaces a user's roles the way an operator does (there is no HTTP route for it: the
   * `accounts-module roles` command, or `users.setRoles` as a system caller in-process).
   */
  grantRoles(email: string, roles: string[]): Promise<void>;
  /** A sysadmin user that exists on the target (bootstrapped). */
  sysadmin: { email: string; password: string };
  /** The address the server sees for requests of the target (for `ip` restrictions). */
  clientIp: string;
  /** The API name the handlers are mounted with (for `api` restrictions). */
  apiName: string;
  /** The target's clock (TOTP codes are computed for it); default the system time. */
  now?: () => Date;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  sessionId: string;
}

export interface SignedUp {
  id: string;
  email: string;
  password: string;
  tokens: Tokens;
  token: string;
}

/** The kinds of code emails a contract reads back. */
export type CodeKind = 'verify-email' | 'login' | 'password-reset';

export const PASSWORD = 'correct horse battery staple';

/** Addresses unique to one run, so suites can share a database. */
export function uniqueEmail(tag: string): string {
  return `${tag}-${randomBytes(5).toString('hex')}@example.com`;
}

/** A login-code state (16–128 printable ASCII characters). */
export function newState(): string {
  return randomBytes(16).toString('hex');
}

/** Asserts a documented failure: status, code, and an envelope with `error` only. */
export function expectError(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(reply.body)).toEqual(['error']);
  expect(typeof reply.body.error.message).toBe('string');
}

/** Asserts a success with `{ data }` and returns the data. */
// biome-ignore lint/suspicious/noExplicitAny: as `Reply.body`
export function expectData<T = any>(reply: Reply, status = 200): T {
  expect({ status: reply.status, body: reply.body }).toEqual({ status, body: { data: expect.anything() } });
  return reply.body.data as T;
}

/** A 200 page of a list route: `{ data: [ … ], nextCursor }` and nothing else. */
// biome-ignore lint/suspicious/noExplicitAny: as `Reply.body`
export function expectPageOf<T = any>(reply: Reply): { data: T[]; nextCursor: string | null } {
  expect({ status: reply.status, keys: Object.keys(reply.body ?? {}).sort() }).toEqual({
    status: 200,
    keys: ['data', 'nextCursor'],
  });
  expect(Array.isArray(reply.body.data)).toBe(true);
  expect(reply.body.nextCursor === null || typeof reply.body.nextCursor === 'string').toBe(true);
  return reply.body;
}

/** The rows of a list that fits in one page (its `nextCursor` is null). */
// biome-ignore lint/suspicious/noExplicitAny: as `Reply.body`
export function expectPage<T = any>(reply: Reply): T[] {
  const page = expectPageOf<T>(reply);
  expect(page.nextCursor).toBeNull();
  return page.data;
}

/** Everything a scenario needs: the transport and a few journeys built on it. */
export class Api {
  /** Every reply is checked against the OpenAPI document before a scenario sees it. */
  private readonly schemas = new ResponseSchemas();

  constructor(private readonly target: () => ContractTarget) {}

  get apiName(): string {
    return this.target().apiName;
  }

  /** The time on the target's clock. */
  now(): Date {
    return this.target().now?.() ?? new Date();
  }

  get clientIp(): string {
    return this.target().clientIp;
  }

  async send(method: string, path: string, options?: SendOptions): Promise<Reply> {
    const reply = await this.target().send(method, path, options);
    const problems = this.schemas.problems(method, path, reply.status, reply.body);
    if (problems.length > 0) {
      throw new Error(`${method} ${path} answered outside the OpenAPI document:\n${problems.join('\n')}`);
    }
    return reply;
  }

  lastCode(address: string, kind: CodeKind = 'verify-email'): Promise<string> {
    return this.target().lastCode(address, kind);
  }

  async login(email: string, password: string): Promise<Tokens> {
    return expectData<Tokens>(await this.send('POST', '/authn/password', { json: { email, password } }));
  }

  /**
   * Registers a user, verifies their address from the outbox and logs in by password. Each sign-up
   * counts against the server's per-IP registration limit (100 an hour): the whole contract uses
   * about 60, so it runs once per server, not more.
   */
  async signUp(tag = 'user'): Promise<SignedUp> {
    const email = uniqueEmail(tag);
    const user = expectData(
      await this.send('POST', '/users', { json: { name: `A ${tag}`, email, password: PASSWORD } }),
      201,
    );
    const code = await this.lastCode(email);
    expectData(await this.send('POST', '/emails/verify', { json: { email, code } }));
    const tokens = await this.login(email, PASSWORD);
    return { id: user.id, email, password: PASSWORD, tokens, token: tokens.accessToken };
  }

  grantRoles(email: string, roles: string[]): Promise<void> {
    return this.target().grantRoles(email, roles);
  }

  /** A fresh session of the bootstrapped sysadmin. */
  async sysadmin(): Promise<string> {
    const { email, password } = this.target().sysadmin;
    return (await this.login(email, password)).accessToken;
  }

  /** An organization owned by a new user. */
  async organization(tag = 'org'): Promise<{ owner: SignedUp; id: string }> {
    const owner = await this.signUp(`${tag}-owner`);
    const organization = expectData(
      await this.send('POST', '/organizations', { token: owner.token, json: { name: `Org ${tag}` } }),
      201,
    );
    return { owner, id: organization.id };
  }
}
