import { ERRORS } from '../../../src/domain/errors';
import { ROUTE_DEFINITIONS } from '../../../src/handlers/create-handlers';
import { HTTP_ERRORS } from '../../../src/handlers/errors';
import { openApiDocument } from '../../../src/handlers/openapi';
import { type Api, expectData, type Reply, type SendOptions } from './target';

const KNOWN_CODES = new Set<string>([...Object.values(ERRORS), ...Object.values(HTTP_ERRORS)]);

/** Every field name of every route, each with a value of the wrong type. */
const WRONG_TYPES = {
  name: 1,
  email: 2,
  emails: 'x',
  password: 3,
  currentPassword: [],
  newPassword: {},
  code: 6,
  state: 7,
  refreshToken: 8,
  all: 'yes',
  userId: 9,
  role: 10,
  reqsPerSec: 'fast',
  restrictions: 'x',
  ids: 'x',
};

const BAD_BODIES: Array<[string, SendOptions]> = [
  ['text that is not JSON', { raw: '{"name": "x",', headers: { 'content-type': 'application/json' } }],
  ['a form body', { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
  ['JSON without a content type', { raw: '{"name":"x"}', headers: { 'content-type': '' } }],
  ['an array', { json: [] }],
  ['a string', { json: 'x' }],
  ['a number', { json: 42 }],
  ['null', { json: null }],
  ['an unknown field', { json: { unknownField: true } }],
  ['every field with a wrong type', { json: WRONG_TYPES }],
  ['NUL characters', { json: { name: 'a\u0000b', email: 'a\u0000@example.com', code: '\u0000' } }],
  [
    'huge strings',
    { json: { name: 'x'.repeat(20_000), email: `${'x'.repeat(20_000)}@example.com`, password: 'p'.repeat(20_000) } },
  ],
  ['deep nesting', { json: { name: JSON.parse(`${'['.repeat(2000)}${']'.repeat(2000)}`) } }],
];

/** Asserts a client error with the documented envelope and a known code: never a 2xx, never a 500. */
function expectClientError(reply: Reply, label: string): void {
  const summary = `${label} → ${reply.status} ${JSON.stringify(reply.body)?.slice(0, 200)}`;
  expect({ summary, clientError: reply.status >= 400 && reply.status < 500 }).toEqual({ summary, clientError: true });
  expect(Object.keys(reply.body ?? {})).toEqual(['error']);
  expect(KNOWN_CODES.has(reply.body.error.code)).toBe(true);
  expect(typeof reply.body.error.message).toBe('string');
  expect(JSON.stringify(reply.body)).not.toMatch(/\bat .+\.(ts|js):\d+|stack|SQL|select |insert /i);
}

/** Bad input on every route of the table gives a documented 4xx (HTTP.md; the acceptance). */
export function describeHygiene(api: Api): void {
  describe('GET /openapi.json', () => {
    it('serves the OpenAPI document every reply of this contract is checked against', async () => {
      const reply = await api.send('GET', '/openapi.json');
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      expect(reply.body).toEqual(openApiDocument());
    });
  });

  describe('bad input on every route', () => {
    let token = '';
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      const { owner, id: organizationId } = await api.organization('hygiene');
      token = owner.token;
      const member = await api.signUp('hygiene-member');
      const membership = expectData(
        await api.send('POST', `/organizations/${organizationId}/memberships`, {
          token,
          json: { userId: member.id, role: 'member' },
        }),
        201,
      );
      const created = expectData(
        await api.send('POST', `/organizations/${organizationId}/clients`, { token, json: { name: 'Hygiene' } }),
        201,
      );
      const spare = await api.login(owner.email, owner.password);
      Object.assign(ids, {
        '/users/:id': 'me',
        '/organizations/:id': organizationId,
        '/memberships/:id': membership.id,
        '/clients/:id': created.client.id,
        '/sessions/:id': spare.sessionId,
      });
    });

    const concrete = (path: string, id?: string) =>
      path.replace(/^(\/[a-z]+\/):id/, (whole, prefix: string) => `${prefix}${id ?? ids[whole]}`);

    it.each(ROUTE_DEFINITIONS.map((route) => [`${route.method} ${route.path}`, route] as const))(
      '%s answers every malformed body with a documented 4xx',
      async (label, route) => {
        for (const [what, options] of BAD_BODIES) {
          const reply = await api.send(route.method, concrete(route.path), { ...options, token });
          expectClientError(reply, `${label} with ${what}`);
        }
      },
    );

    it.each(ROUTE_DEFINITIONS.map((route) => [`${route.method} ${route.path}`, route] as const))(
      '%s refuses a present but invalid credential, even when open to anyone',
      async (_label, route) => {
        const path = concrete(route.path);
        const badToken = await api.send(route.method, path, {
          headers: { authorization: 'Bearer not.a.token' },
          json: {},
        });
        expect({ status: badToken.status, code: badToken.body.error?.code }).toEqual({
          status: 401,
          code: 'INVALID_TOKEN',
        });
        const badKey = await api.send(route.method, path, { apiKey: 'ak_cli_x_y', json: {} });
        expect({ status: badKey.status, code: badKey.body.error?.code }).toEqual({
          status: 401,
          code: 'INVALID_CLIENT',
        });
      },
    );

    it.each(
      ROUTE_DEFINITIONS.filter((route) => route.path.includes(':id')).map(
        (route) => [`${route.method} ${route.path}`, route] as const,
      ),
    )('%s answers odd ids with a documented 4xx', async (label, route) => {
      for (const id of ['nope', '%E2%82%AC', 'x'.repeat(600), '%00', '%FF', 'usr_%27%3B--', '..']) {
        const reply = await api.send(route.method, concrete(route.path, id), { token, json: {} });
        expectClientError(reply, `${label} with id ${id.slice(0, 20)}`);
      }
    });
  });
}
