import type { ClientWithKey } from '../../src/domain/clients';
import { createHandlers } from '../../src/handlers';
import { parseQuery, splitTarget } from '../../src/handlers/mount-request';
import type { HttpResponse } from '../../src/handlers/types';
import type { Organization } from '../../src/ports/entities';
import type { EventRecord } from '../../src/ports/outbox';
import { ResponseSchemas } from '../e2e/contract/response-schemas';
import { makeWorld, ok, type SignedInUser, signUp, signUpSysadmin, type TestWorld } from '../support/setup';
import { expectError } from './helpers';

/**
 * `GET /organizations/:id/events` and `GET /users/:id/events` through the route table, with a query
 * string as an adapter parses it and JSON as a client reads it. The events are appended to the outbox
 * directly; assertions look only at those (the domain may write events of its own besides).
 */

interface EventJson {
  id: string;
  type: string;
  at: string;
  actor: Record<string, string | null>;
  subjects: Record<string, string | null>;
  payload: Record<string, unknown>;
}
interface PageJson {
  data: EventJson[];
  nextCursor: string | null;
}

const schemas = new ResponseSchemas();

let world: TestWorld;
let handlers: ReturnType<typeof createHandlers>;
let owner: SignedInUser;
let member: SignedInUser;
let stranger: SignedInUser;
let sysadmin: SignedInUser;
let organization: Organization;
let client: ClientWithKey;
let sequence = 0;

/** A GET as a client sends it, the reply as a client reads it (through JSON), checked against the document. */
async function get(
  target: string,
  credentials: { token?: string; apiKey?: string } = {},
): Promise<HttpResponse & { json: unknown }> {
  const { pathname, search } = splitTarget(target);
  const headers: Record<string, string> = { 'user-agent': 'jest' };
  if (credentials.token !== undefined) headers.authorization = `Bearer ${credentials.token}`;
  if (credentials.apiKey !== undefined) headers['x-api-key'] = credentials.apiKey;
  const response = await handlers.dispatch({
    method: 'GET',
    path: pathname,
    query: parseQuery(search),
    headers,
    remoteAddress: '203.0.113.7',
  });
  const json = response.body === undefined ? null : JSON.parse(JSON.stringify(response.body));
  expect(schemas.problems('GET', pathname, response.status, json)).toEqual([]);
  return { ...response, json };
}

async function append(spec: Partial<EventRecord> & Pick<EventRecord, 'type' | 'at'>): Promise<EventRecord> {
  sequence += 1;
  const record: EventRecord = {
    id: `evt_http_${sequence}`,
    actor: { userId: null, clientId: null, ip: null },
    subjects: { userId: null, organizationId: null, clientId: null, sessionId: null },
    payload: {},
    ...spec,
  };
  await world.io.appendEvents([record], { deliveredAt: record.at });
  return record;
}

const T0 = Date.UTC(2030, 5, 1, 8, 0, 0);
const at = (minute: number) => new Date(T0 + minute * 60_000);

/** The ids of the page that are among `mine`, in its order. */
function mineIn(page: PageJson, mine: readonly EventRecord[]): string[] {
  const wanted = new Set(mine.map((event) => event.id));
  return page.data.map((event) => event.id).filter((id) => wanted.has(id));
}

let login: EventRecord;
let failed: EventRecord;
let membership: EventRecord;
let clientCreated: EventRecord;
let mine: EventRecord[];

beforeAll(async () => {
  world = makeWorld();
  handlers = createHandlers(world.accounts);
  owner = await signUp(world);
  member = await signUp(world);
  stranger = await signUp(world);
  sysadmin = await signUpSysadmin(world);
  organization = ok<Organization>(await world.accounts.organizations.create(owner.caller, { name: 'Acme' }));
  ok(
    await world.accounts.organizations.addMembership(owner.caller, organization.id, {
      userId: member.userId,
      role: 'member',
    }),
  );
  client = ok<ClientWithKey>(await world.accounts.clients.create(owner.caller, organization.id, { name: 'Backend' }));

  clientCreated = await append({
    type: 'client.created',
    at: at(1),
    subjects: { userId: null, organizationId: organization.id, clientId: client.client.id, sessionId: null },
  });
  membership = await append({
    type: 'membership.changed',
    at: at(2),
    actor: { userId: owner.userId, clientId: null, ip: '203.0.113.7' },
    subjects: { userId: member.userId, organizationId: organization.id, clientId: null, sessionId: null },
    payload: { change: 'added', role: 'member' },
  });
  login = await append({
    type: 'login.succeeded',
    at: at(3),
    actor: { userId: null, clientId: null, ip: '203.0.113.7' },
    subjects: { userId: member.userId, organizationId: null, clientId: null, sessionId: 'ses_x' },
    payload: { method: 'password' },
  });
  failed = await append({
    type: 'login.failed',
    at: at(4),
    actor: { userId: null, clientId: null, ip: '203.0.113.7' },
    subjects: { userId: member.userId, organizationId: null, clientId: null, sessionId: null },
    payload: { method: 'password', reason: 'invalid_credentials', email: null },
  });
  mine = [clientCreated, membership, login, failed];
});

describe('GET /organizations/:id/events', () => {
  it('answers the organization’s events, oldest first, dates as ISO strings, no delivery state', async () => {
    const reply = await get(`/organizations/${organization.id}/events`, { token: owner.tokens.accessToken });
    expect(reply.status).toBe(200);
    const page = reply.json as PageJson;
    expect(Object.keys(page).sort()).toEqual(['data', 'nextCursor']);
    expect(mineIn(page, mine)).toEqual([clientCreated.id, membership.id]);
    expect(page.data.find((event) => event.id === membership.id)).toEqual({
      id: membership.id,
      type: 'membership.changed',
      at: '2030-06-01T08:02:00.000Z',
      actor: { userId: owner.userId, clientId: null, ip: '203.0.113.7' },
      subjects: { userId: member.userId, organizationId: organization.id, clientId: null, sessionId: null },
      payload: { change: 'added', role: 'member' },
    });
  });

  it('refuses members (403) and hides the organization from strangers and keyless callers', async () => {
    const path = `/organizations/${organization.id}/events`;
    expectError(await get(path, { token: member.tokens.accessToken }), 403, 'FORBIDDEN');
    expectError(await get(path, { token: stranger.tokens.accessToken }), 404, 'NOT_FOUND');
    expectError(await get(path, { apiKey: client.key }), 404, 'NOT_FOUND');
    expectError(await get(path), 401, 'UNAUTHENTICATED');
    const staff = await get(path, { token: sysadmin.tokens.accessToken });
    expect(mineIn(staff.json as PageJson, mine)).toEqual([clientCreated.id, membership.id]);
  });
});

describe('GET /users/:id/events', () => {
  it('answers the caller’s own events for me and their id, and hides them from others', async () => {
    for (const path of ['/users/me/events', `/users/${member.userId}/events`]) {
      const reply = await get(path, { token: member.tokens.accessToken });
      expect(reply.status).toBe(200);
      expect(mineIn(reply.json as PageJson, mine)).toEqual([membership.id, login.id, failed.id]);
    }
    expectError(await get(`/users/${member.userId}/events`, { token: owner.tokens.accessToken }), 404, 'NOT_FOUND');
    expectError(await get(`/users/${member.userId}/events`, { apiKey: client.key }), 404, 'NOT_FOUND');
    expectError(await get('/users/me/events', { apiKey: client.key }), 401, 'UNAUTHENTICATED');
    const staff = await get(`/users/${member.userId}/events`, { token: sysadmin.tokens.accessToken });
    expect(mineIn(staff.json as PageJson, mine)).toEqual([membership.id, login.id, failed.id]);
  });

  it('filters by comma-separated and repeated types, and by an encoded time range', async () => {
    const token = member.tokens.accessToken;
    const ids = async (query: string) =>
      mineIn((await get(`/users/me/events?${query}`, { token })).json as PageJson, mine);
    expect(await ids('type=login.succeeded,login.failed')).toEqual([login.id, failed.id]);
    expect(await ids('type=login.failed&type=membership.changed')).toEqual([membership.id, failed.id]);
    expect(await ids(`from=${encodeURIComponent('2030-06-01T10:03:00+02:00')}`)).toEqual([login.id, failed.id]);
    expect(await ids('from=2030-06-01T08:02:00Z&to=2030-06-01T08:04:00Z')).toEqual([membership.id, login.id]);
    expect(await ids('type=login.failed&from=2030-06-01T08:00:00Z&utm_source=x')).toEqual([failed.id]);
  });

  it('names every bad query parameter at once', async () => {
    const reply = await get('/users/me/events?type=login.nope&from=yesterday&to=2030-06-01&limit=0&cursor=zz', {
      token: member.tokens.accessToken,
    });
    expectError(reply, 400, 'VALIDATION_FAILED');
    expect((reply.json as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toEqual([
      'type',
      'from',
      'to',
      'limit',
      'cursor',
    ]);
    const misordered = await get('/users/me/events?from=2030-06-02T00:00:00Z&to=2030-06-01T00:00:00Z', {
      token: member.tokens.accessToken,
    });
    expectError(misordered, 400, 'VALIDATION_FAILED');
  });

  it('pages with limit and cursor, each event once, also when one is written between pages', async () => {
    const token = member.tokens.accessToken;
    const query = 'type=password.changed&limit=2';
    const written: EventRecord[] = [];
    for (let minute = 10; minute < 15; minute++) {
      written.push(
        await append({
          type: 'password.changed',
          at: at(minute),
          subjects: { userId: member.userId, organizationId: null, clientId: null, sessionId: null },
        }),
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const target: string = cursor === null ? query : `${query}&cursor=${encodeURIComponent(cursor)}`;
      const page = (await get(`/users/me/events?${target}`, { token })).json as PageJson;
      seen.push(...page.data.map((event) => event.id));
      cursor = page.nextCursor;
      if (pages === 0) {
        written.push(
          await append({
            type: 'password.changed',
            at: at(0),
            subjects: { userId: member.userId, organizationId: null, clientId: null, sessionId: null },
          }),
        );
      }
      if (cursor === null) break;
    }
    expect(seen).toEqual(written.map((event) => event.id));

    // A real cursor of another list: refused, not read as a position in this one.
    const membershipsCursor = ok<{ nextCursor: string | null }>(
      await world.accounts.organizations.listMemberships(owner.caller, organization.id, { limit: 1 }),
    ).nextCursor;
    expect(membershipsCursor).not.toBeNull();
    const foreign = await get(`/users/me/events?cursor=${encodeURIComponent(membershipsCursor ?? '')}`, { token });
    expectError(foreign, 400, 'VALIDATION_FAILED');
  });
});
