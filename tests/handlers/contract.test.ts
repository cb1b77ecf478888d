import { createHandlers } from '../../src/handlers';
import { parseQuery, splitTarget } from '../../src/handlers/mount-request';
import type { HttpHeaders } from '../../src/handlers/types';
import type { ContractTarget, Reply } from '../e2e/contract';
import { describeContract } from '../e2e/contract';
import { PASSWORD } from '../e2e/contract/target';
import { grantRolesIn, makeWorld, ok, REQUEST } from '../support/setup';

/**
 * The whole HTTP contract in-process: the route table over the in-memory Io, called through
 * `dispatch` as an adapter would. The same scenarios run over the wire in tests/e2e.
 */
const CLIENT_IP = '203.0.113.7';
const world = makeWorld();
const handlers = createHandlers(world.accounts, { apiName: 'accounts' });
const sysadmin = { email: 'root@example.com', password: PASSWORD };

const target: ContractTarget = {
  async send(method, path, options = {}) {
    const headers: HttpHeaders = { 'user-agent': 'contract-test', ...options.headers };
    let body = options.raw;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    if (headers['content-type'] === '') delete headers['content-type'];
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
    // Path and query string apart, as an adapter hands them over.
    const { pathname, search } = splitTarget(path);
    const query = parseQuery(search);
    const response = await handlers.dispatch({
      method,
      path: pathname,
      query,
      headers,
      body,
      remoteAddress: CLIENT_IP,
    });
    const reply: Reply = {
      status: response.status,
      headers: Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name.toLowerCase(), value])),
      // Through JSON, as a client receives it (dates become strings).
      body: response.body === undefined ? null : JSON.parse(JSON.stringify(response.body)),
    };
    return reply;
  },
  async lastCode(address, kind) {
    await world.accounts.settled();
    const message = [...world.emailer.sent].reverse().find((sent) => sent.to === address && sent.kind === kind);
    if (!message) throw new Error(`no ${kind} email to ${address}`);
    return message.code;
  },
  grantRoles: grantRolesIn(world),
  now: () => world.clock.now(),
  sysadmin,
  clientIp: CLIENT_IP,
  apiName: 'accounts',
};

beforeAll(async () => {
  const admin = ok<{ id: string }>(
    await world.accounts.users.register({ name: 'Root', email: sysadmin.email, password: sysadmin.password }, REQUEST),
  );
  await world.io.updateUser(admin.id, { roles: ['sysadmin', 'user'], updatedAt: world.clock.now() });
});

describeContract(() => target);
