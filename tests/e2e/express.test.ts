import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createExpressApp } from '../../examples/express';
import { createHandlers } from '../../src/handlers';
import { grantRolesIn, makeWorld, ok, REQUEST } from '../support/setup';
import { describeContract } from './contract';
import { expectData, expectError, newState, PASSWORD, uniqueEmail } from './contract/target';
import { fetchReply, httpTarget } from './server-process';

/** examples/express.ts: the route table mounted in Express 5 under `/accounts`, spoken to over HTTP. */
const world = makeWorld();
const sysadmin = { email: 'root@example.com', password: PASSWORD };
let server: Server;
let base = '';

beforeAll(async () => {
  const admin = ok<{ id: string }>(await world.accounts.users.register({ name: 'Root', ...sysadmin }, REQUEST));
  await world.io.updateUser(admin.id, { roles: ['sysadmin', 'user'], updatedAt: world.clock.now() });
  server = createExpressApp(createHandlers(world.accounts)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/accounts`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const send = (method: string, path: string, options?: Parameters<typeof fetchReply>[3]) =>
  fetchReply(base, method, path, options);
/** The latest code emailed to an address, once the emails sent after their answers have gone out. */
const codeFor = async (address: string, kind: 'verify-email' | 'login' | 'password-reset') => {
  await world.accounts.settled();
  return (
    [...world.emailer.sent].reverse().find((message) => message.to === address && message.kind === kind)?.code ?? ''
  );
};

describe('Express 5 mounting', () => {
  it('runs a journey: register, verify, log in by code, create an organization and a client, use its key', async () => {
    const email = uniqueEmail('express');
    expectData(await send('POST', '/users', { json: { name: 'Ex', email, password: PASSWORD } }), 201);
    expectData(await send('POST', '/emails/verify', { json: { email, code: await codeFor(email, 'verify-email') } }));
    const state = newState();
    expect((await send('POST', '/authn/email', { json: { email, state } })).status).toBe(202);
    const tokens = expectData(
      await send('POST', '/authn/code', { json: { code: await codeFor(email, 'login'), state } }),
    );
    const organization = expectData(
      await send('POST', '/organizations', { token: tokens.accessToken, json: { name: 'Ex' } }),
      201,
    );
    const { client, key } = expectData(
      await send('POST', `/organizations/${organization.id}/clients`, {
        token: tokens.accessToken,
        json: { name: 'Bot' },
      }),
      201,
    );
    expect(expectData(await send('GET', `/clients/${client.id}`, { apiKey: key })).id).toBe(client.id);
  });

  it('answers the envelopes for hygiene errors, unknown paths and wrong methods, without Express branding', async () => {
    expectError(
      await send('POST', '/users', { raw: 'x=1', headers: { 'content-type': 'text/plain' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(await send('POST', '/users', { json: { name: 'x'.repeat(200_000) } }), 413, 'PAYLOAD_TOO_LARGE');
    expectError(await send('GET', '/nowhere'), 404, 'NOT_FOUND');
    const wrong = await send('DELETE', '/organizations');
    expectError(wrong, 405, 'METHOD_NOT_ALLOWED');
    expect(wrong.headers.allow).toBe('POST');
    expect(wrong.headers['x-powered-by']).toBeUndefined();
  });

  describeContract(() => ({
    ...httpTarget(() => base, { outbox: '', sysadmin }),
    lastCode: (address, kind) => codeFor(address, kind),
    grantRoles: grantRolesIn(world),
    now: () => world.clock.now(),
  }));
});
