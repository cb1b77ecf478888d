import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectData, PASSWORD, uniqueEmail } from './contract/target';
import { childEnv, fetchReply, ROOT, type ServerProcess, spawnServer } from './server-process';

/**
 * With ACCOUNTS_JWT_PRIVATE_KEY set to an EC P-256 key, access tokens are ES256 and verify with an
 * independent JOSE library (`jose`) against the server's /.well-known/jwks.json, as another service
 * would. jose is ESM-only, so it runs in a small child `node --input-type=module` process.
 */
const VERIFY_WITH_JOSE = `
import { createRemoteJWKSet, jwtVerify } from 'jose';
const keys = createRemoteJWKSet(new URL(process.env.JWKS_URL));
const { payload, protectedHeader } = await jwtVerify(process.env.TOKEN, keys, {
  issuer: 'accounts-module',
  audience: 'accounts-module',
  algorithms: ['ES256'],
});
console.log(JSON.stringify({ payload, protectedHeader }));
`;

function verifyWithJose(jwksUrl: string, token: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', VERIFY_WITH_JOSE], {
      cwd: ROOT,
      env: childEnv({ JWKS_URL: jwksUrl, TOKEN: token }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

const directory = mkdtempSync(join(tmpdir(), 'accounts-e2e-jwks-'));
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let server: ServerProcess;

beforeAll(async () => {
  server = await spawnServer({
    cwd: directory,
    env: {
      ACCOUNTS_JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      ACCOUNTS_BCRYPT_COST: '4',
    },
  });
}, 60_000);

afterAll(async () => {
  server?.kill();
  rmSync(directory, { recursive: true, force: true });
});

describe('example server with an EC P-256 private key', () => {
  it('publishes the public key and signs access tokens that jose verifies against the JWKS', async () => {
    const jwks = await fetchReply(server.url, 'GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toEqual([
      expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: expect.any(String) }),
    ]);
    expect(jwks.body.keys[0]).not.toHaveProperty('d');

    const email = uniqueEmail('jwks');
    const user = expectData(
      await fetchReply(server.url, 'POST', '/users', { json: { name: 'Jo', email, password: PASSWORD } }),
      201,
    );
    const tokens = expectData(
      await fetchReply(server.url, 'POST', '/authn/password', { json: { email, password: PASSWORD } }),
    );

    const verified = await verifyWithJose(`${server.url}/.well-known/jwks.json`, tokens.accessToken);
    expect(verified.code).toBe(0);
    const { payload, protectedHeader } = JSON.parse(verified.stdout);
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: jwks.body.keys[0].kid, typ: 'JWT' });
    expect(payload).toMatchObject({ sub: user.id, sid: tokens.sessionId, roles: ['user'] });
  });

  it('gives tokens that jose refuses once tampered with', async () => {
    const email = uniqueEmail('tamper');
    await fetchReply(server.url, 'POST', '/users', { json: { name: 'Tam', email, password: PASSWORD } });
    const { accessToken } = expectData(
      await fetchReply(server.url, 'POST', '/authn/password', { json: { email, password: PASSWORD } }),
    );
    const [header, payload] = accessToken.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['sysadmin'] }),
    );
    const tampered = `${header}.${forged.toString('base64url')}.${accessToken.split('.')[2]}`;
    expect((await verifyWithJose(`${server.url}/.well-known/jwks.json`, tampered)).code).not.toBe(0);
    expect((await fetchReply(server.url, 'GET', '/users/me', { token: tampered })).status).toBe(401);
  });
});
