import { spawn } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwkThumbprint } from '../../src/adapters/lib';
import { expectData, PASSWORD, uniqueEmail } from './contract/target';
import { childEnv, fetchReply, ROOT, runServerToExit, type ServerProcess, spawnServer } from './server-process';

/**
 * A signing-key rotation on the running example server, checked as another service would: the
 * independent `jose` library fetches /.well-known/jwks.json (createRemoteJWKSet) and verifies tokens
 * issued before the switch, after it, and the old key's tokens after it. jose is ESM-only, so it runs
 * in a child `node --input-type=module` process.
 */
const VERIFY_WITH_REMOTE_JWKS = `
import { createRemoteJWKSet, jwtVerify } from 'jose';
const keys = createRemoteJWKSet(new URL(process.env.JWKS_URL));
try {
  const { payload, protectedHeader } = await jwtVerify(process.env.TOKEN, keys, {
    issuer: 'accounts-module', audience: 'accounts-module', algorithms: ['ES256'],
  });
  console.log(JSON.stringify({ ok: true, payload, protectedHeader }));
} catch (error) {
  console.log(JSON.stringify({ ok: false, code: error.code }));
}
`;

interface JoseVerdict {
  ok: boolean;
  payload?: Record<string, unknown>;
  protectedHeader?: Record<string, unknown>;
  code?: string;
}

function verifyWithJose(server: ServerProcess, token: string): Promise<JoseVerdict> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', VERIFY_WITH_REMOTE_JWKS], {
      cwd: ROOT,
      env: childEnv({ JWKS_URL: `${server.url}/.well-known/jwks.json`, TOKEN: token }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('exit', () => resolve(JSON.parse(stdout) as JoseVerdict));
  });
}

const pemOf = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
const kidOf = (key: KeyObject) => jwkThumbprint(key.export({ format: 'jwk' }) as Record<string, unknown>);
const kidInHeader = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const directory = mkdtempSync(join(tmpdir(), 'accounts-e2e-rotation-'));
const oldKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const newKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const baseEnv = { ACCOUNTS_BCRYPT_COST: '4', ACCOUNTS_JWT_PRIVATE_KEY: pemOf(oldKey) };
/** Time the test needs before the switch, once the server listens: a login and a jose check or two. */
const BEFORE_SWITCH_MS = 4000;
let server: ServerProcess | undefined;
let switchAt = 0;

/**
 * The server reads the switch instant at start, so it is set ahead of the start; a start slower than
 * expected (a loaded machine) starts it again with more room rather than testing half the story.
 */
async function startWithSwitchAhead(): Promise<ServerProcess> {
  for (const leadMs of [10_000, 20_000, 40_000]) {
    switchAt = Date.now() + leadMs;
    const started = await spawnServer({
      cwd: directory,
      env: {
        ...baseEnv,
        ACCOUNTS_JWT_NEXT_PRIVATE_KEY: pemOf(newKey),
        ACCOUNTS_JWT_NEXT_KEY_FROM: new Date(switchAt).toISOString(),
      },
    });
    if (Date.now() < switchAt - BEFORE_SWITCH_MS) return started;
    await started.stop();
  }
  throw new Error('the example server never started fast enough to leave time before the switch');
}

afterAll(async () => {
  server?.kill();
  rmSync(directory, { recursive: true, force: true });
});

describe('example server signing-key rotation (ACCOUNTS_JWT_NEXT_PRIVATE_KEY)', () => {
  it('serves both keys, switches at ACCOUNTS_JWT_NEXT_KEY_FROM, and old tokens verify with jose until they expire', async () => {
    server = await startWithSwitchAhead();
    const jwks = await fetchReply(server.url, 'GET', '/.well-known/jwks.json');
    expect(jwks.body.keys).toEqual([
      expect.objectContaining({ kty: 'EC', alg: 'ES256', use: 'sig', kid: kidOf(oldKey) }),
      expect.objectContaining({ kty: 'EC', alg: 'ES256', use: 'sig', kid: kidOf(newKey) }),
    ]);
    expect(kidOf(oldKey)).not.toBe(kidOf(newKey));
    for (const key of jwks.body.keys) expect(key).not.toHaveProperty('d');

    const email = uniqueEmail('rotation');
    const user = expectData(
      await fetchReply(server.url, 'POST', '/users', { json: { name: 'Rota', email, password: PASSWORD } }),
      201,
    );
    const login = async () =>
      expectData(await fetchReply(server!.url, 'POST', '/authn/password', { json: { email, password: PASSWORD } }));

    const before = await login();
    expect(kidInHeader(before.accessToken)).toBe(kidOf(oldKey));
    expect(await verifyWithJose(server, before.accessToken)).toMatchObject({
      ok: true,
      payload: { sub: user.id },
      protectedHeader: { alg: 'ES256', kid: kidOf(oldKey) },
    });
    expect(Date.now()).toBeLessThan(switchAt);

    await sleep(switchAt - Date.now() + 200);
    const after = await login();
    expect(kidInHeader(after.accessToken)).toBe(kidOf(newKey));
    // A refresh signs with the key of its own moment too.
    const refreshed = expectData(
      await fetchReply(server.url, 'POST', '/authn/refresh', { json: { refreshToken: before.refreshToken } }),
    );
    expect(kidInHeader(refreshed.accessToken)).toBe(kidOf(newKey));
    for (const [token, kid] of [
      [after.accessToken, kidOf(newKey)],
      [before.accessToken, kidOf(oldKey)],
    ]) {
      expect(await verifyWithJose(server, token)).toMatchObject({ ok: true, protectedHeader: { kid } });
    }
    // The server itself accepts the old key's token after the switch, and the new one's.
    expect((await fetchReply(server.url, 'GET', '/users/me', { token: after.accessToken })).status).toBe(200);
    expect((await fetchReply(server.url, 'GET', '/users/me', { token: before.accessToken })).status).toBe(200);

    // The last step of the procedure, once the old key's tokens have expired: the next key becomes the
    // only one. Its tokens stay valid; whatever the old key signed is refused, here and by jose.
    expect(await server.stop()).toBe(0);
    server = await spawnServer({ cwd: directory, env: { ...baseEnv, ACCOUNTS_JWT_PRIVATE_KEY: pemOf(newKey) } });
    const promoted = await fetchReply(server.url, 'GET', '/.well-known/jwks.json');
    expect(promoted.body.keys.map((key: { kid: string }) => key.kid)).toEqual([kidOf(newKey)]);
    expect((await fetchReply(server.url, 'GET', '/users/me', { token: after.accessToken })).status).toBe(200);
    expect((await fetchReply(server.url, 'GET', '/users/me', { token: before.accessToken })).status).toBe(401);
    expect(await verifyWithJose(server, before.accessToken)).toEqual({ ok: false, code: 'ERR_JWKS_NO_MATCHING_KEY' });
  }, 120_000);

  it('refuses to start with a next key of another algorithm family, naming the variable', async () => {
    const { code, entries } = await runServerToExit({
      cwd: directory,
      env: {
        ...baseEnv,
        ACCOUNTS_JWT_NEXT_PRIVATE_KEY: pemOf(generateKeyPairSync('ed25519').privateKey),
        ACCOUNTS_JWT_NEXT_KEY_FROM: '2027-03-01T12:00:00Z',
      },
    });
    expect(code).toBe(1);
    expect(entries.filter((entry) => entry.level === 'fatal')).toEqual([
      expect.objectContaining({
        variable: 'ACCOUNTS_JWT_NEXT_PRIVATE_KEY',
        msg: expect.stringMatching(
          /ACCOUNTS_JWT_NEXT_PRIVATE_KEY signs EdDSA but ACCOUNTS_JWT_PRIVATE_KEY signs ES256/,
        ),
      }),
    ]);
  }, 30_000);
});
