import { createHmac, createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { DefaultLib, generateHs256Secret, jwkThumbprint, type ManualClock } from '../../../src/adapters/lib';
import type { AccessTokenInput } from '../../../src/ports/lib';
import { makeTestLib, signWithJose, TEST_SECRET, verifyWithJose } from './fixtures';

const INPUT: AccessTokenInput = {
  userId: 'usr_1',
  sessionId: 'ses_1',
  roles: ['user'],
  clientId: 'cli_1',
  authMethod: 'code',
  authenticatedAt: new Date(Date.UTC(2030, 0, 1, 11, 0, 0)),
};
const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodeHeader = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());

function validPayload(clock: ManualClock, extra: Record<string, unknown> = {}) {
  const iat = Math.floor(clock.now().getTime() / 1000);
  return { sub: 'usr_1', sid: 'ses_1', roles: ['user'], jti: 'j1', iat, exp: iat + 900, ...extra };
}

describe('DefaultLib HS256 access tokens', () => {
  const secretKey = createSecretKey(Buffer.from(TEST_SECRET));

  test('a token round-trips with a KeyObject secret, with times from the lib clock', async () => {
    const { lib, clock } = makeTestLib({ tokens: { secret: secretKey } });
    const token = await lib.signAccessToken(INPUT);
    const claims = await lib.verifyAccessToken(token);
    const iat = Math.floor(clock.now().getTime() / 1000);
    expect(claims).toEqual({
      sub: 'usr_1',
      sid: 'ses_1',
      roles: ['user'],
      cid: 'cli_1',
      iat,
      exp: iat + 900,
      jti: expect.any(String),
      // When and how the session's login was authenticated (OIDC auth_time, RFC 8176 amr).
      auth_time: Math.floor(INPUT.authenticatedAt.getTime() / 1000),
      amr: ['otp'],
    });
    expect(lib.tokenAlgorithm).toBe('HS256');
    expect(decodeHeader(token).alg).toBe('HS256');
  });

  test('a token of a session without a client carries no cid', async () => {
    const { lib } = makeTestLib();
    const claims = await lib.verifyAccessToken(await lib.signAccessToken({ ...INPUT, clientId: null }));
    expect(claims).not.toBeNull();
    expect(claims).not.toHaveProperty('cid');
  });

  test('each token gets its own jti', async () => {
    const { lib } = makeTestLib();
    const first = await lib.verifyAccessToken(await lib.signAccessToken(INPUT));
    const second = await lib.verifyAccessToken(await lib.signAccessToken(INPUT));
    expect(first!.jti).not.toBe(second!.jti);
  });

  test('string, Buffer and KeyObject forms of one secret are interchangeable', async () => {
    const fromString = makeTestLib({ tokens: { secret: TEST_SECRET } }).lib;
    const fromBuffer = makeTestLib({ tokens: { secret: Buffer.from(TEST_SECRET) } }).lib;
    const fromKey = makeTestLib({ tokens: { secret: secretKey } }).lib;
    const token = await fromString.signAccessToken(INPUT);
    expect(await fromBuffer.verifyAccessToken(token)).not.toBeNull();
    expect(await fromKey.verifyAccessToken(token)).not.toBeNull();
  });

  test('a secret shorter than 32 bytes is refused at construction', () => {
    expect(() => new DefaultLib({ tokens: { secret: 'x'.repeat(31) } })).toThrow(RangeError);
    expect(() => new DefaultLib({ tokens: { secret: generateHs256Secret() } })).not.toThrow();
  });

  test('generated secrets differ', () => {
    expect(generateHs256Secret()).not.toBe(generateHs256Secret());
  });

  test('a token signed with another secret is refused', async () => {
    const { lib } = makeTestLib();
    const other = makeTestLib({ tokens: { secret: generateHs256Secret() } }).lib;
    expect(await lib.verifyAccessToken(await other.signAccessToken(INPUT))).toBeNull();
  });

  test('a token is valid until its 15 minutes are up, then refused', async () => {
    const { lib, clock } = makeTestLib();
    const token = await lib.signAccessToken(INPUT);
    clock.advance(15 * 60_000 - 1000);
    expect(await lib.verifyAccessToken(token)).not.toBeNull();
    clock.advance(1000);
    expect(await lib.verifyAccessToken(token)).toBeNull();
  });

  test('the configured access-token lifetime sets exp', async () => {
    const { lib } = makeTestLib({ config: { accessTokenTtlMs: 60_000 } });
    const claims = await lib.verifyAccessToken(await lib.signAccessToken(INPUT));
    expect(claims!.exp - claims!.iat).toBe(60);
  });

  test('a token for another audience or issuer is refused', async () => {
    const { lib } = makeTestLib();
    const otherAudience = makeTestLib({ tokens: { secret: TEST_SECRET, audience: 'billing' } }).lib;
    const otherIssuer = makeTestLib({ tokens: { secret: TEST_SECRET, issuer: 'someone-else' } }).lib;
    expect(await lib.verifyAccessToken(await otherAudience.signAccessToken(INPUT))).toBeNull();
    expect(await lib.verifyAccessToken(await otherIssuer.signAccessToken(INPUT))).toBeNull();
  });

  test('a tampered payload, garbage and an empty string are refused', async () => {
    const { lib } = makeTestLib();
    const [header, , signature] = (await lib.signAccessToken(INPUT)).split('.');
    const forgedPayload = b64json({ sub: 'usr_admin', sid: 'ses_1', roles: ['sysadmin'] });
    expect(await lib.verifyAccessToken(`${header}.${forgedPayload}.${signature}`)).toBeNull();
    expect(await lib.verifyAccessToken('not.a.token')).toBeNull();
    expect(await lib.verifyAccessToken('')).toBeNull();
  });

  test('a correctly signed token with malformed claims is refused', async () => {
    const { lib, clock } = makeTestLib();
    const sign = (payload: object) =>
      jwt.sign(payload, TEST_SECRET, { algorithm: 'HS256', issuer: 'accounts-module', audience: 'accounts-module' });
    expect(await lib.verifyAccessToken(sign(validPayload(clock)))).not.toBeNull();
    expect(await lib.verifyAccessToken(sign(validPayload(clock, { roles: ['root'] })))).toBeNull();
    expect(await lib.verifyAccessToken(sign(validPayload(clock, { roles: 'user' })))).toBeNull();
    expect(await lib.verifyAccessToken(sign(validPayload(clock, { sid: 42 })))).toBeNull();
    const { exp: _exp, ...withoutExp } = validPayload(clock);
    expect(await lib.verifyAccessToken(sign(withoutExp))).toBeNull();
  });

  test('the JWKS is empty and there is no kid unless one is configured', async () => {
    const { lib } = makeTestLib();
    expect(lib.jwks()).toEqual({ keys: [] });
    expect(decodeHeader(await lib.signAccessToken(INPUT)).kid).toBeUndefined();
    const withKid = makeTestLib({ tokens: { secret: TEST_SECRET, keyId: 'k1' } }).lib;
    expect(decodeHeader(await withKid.signAccessToken(INPUT)).kid).toBe('k1');
  });

  test('exactly one of secret and privateKey must be given', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    expect(() => new DefaultLib({ tokens: {} as never })).toThrow(TypeError);
    expect(() => new DefaultLib({ tokens: { secret: TEST_SECRET, privateKey } as never })).toThrow(TypeError);
  });
});

type Asymmetric = 'RS256' | 'ES256' | 'EdDSA';

function freshKeyPair(algorithm: Asymmetric): { privateKey: KeyObject; publicKey: KeyObject } {
  if (algorithm === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (algorithm === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return generateKeyPairSync('ed25519');
}

const keyPairs = { RS256: freshKeyPair('RS256'), ES256: freshKeyPair('ES256'), EdDSA: freshKeyPair('EdDSA') };

describe.each(Object.keys(keyPairs) as Asymmetric[])('DefaultLib %s access tokens', (algorithm) => {
  const { privateKey, publicKey } = keyPairs[algorithm];
  const publicJwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;

  test('the algorithm is inferred from the key and tokens round-trip with a thumbprint kid', async () => {
    const { lib, clock } = makeTestLib({ tokens: { privateKey } });
    expect(lib.tokenAlgorithm).toBe(algorithm);
    const token = await lib.signAccessToken(INPUT);
    expect(decodeHeader(token)).toMatchObject({ alg: algorithm, kid: jwkThumbprint(publicJwk) });
    const claims = await lib.verifyAccessToken(token);
    const iat = Math.floor(clock.now().getTime() / 1000);
    expect(claims).toMatchObject({ sub: 'usr_1', sid: 'ses_1', roles: ['user'], cid: 'cli_1', iat, exp: iat + 900 });
  });

  test('a PEM private key works like the KeyObject and an explicit keyId is used', async () => {
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const { lib } = makeTestLib({ tokens: { privateKey: pem, algorithm, keyId: 'key-2026' } });
    const token = await lib.signAccessToken(INPUT);
    expect(decodeHeader(token).kid).toBe('key-2026');
    expect(await makeTestLib({ tokens: { privateKey } }).lib.verifyAccessToken(token)).not.toBeNull();
  });

  test('the JWKS holds only the public key, with kid, alg and use', () => {
    const { lib } = makeTestLib({ tokens: { privateKey } });
    expect(lib.jwks()).toEqual({ keys: [{ ...publicJwk, kid: lib.keyId, alg: algorithm, use: 'sig' }] });
    expect(lib.jwks().keys[0]).not.toHaveProperty('d');
  });

  test('the jose library verifies issued tokens against the JWKS', async () => {
    const { lib, clock } = makeTestLib({ tokens: { privateKey } });
    const token = await lib.signAccessToken(INPUT);
    const verdict = verifyWithJose(token, lib.jwks(), {
      issuer: 'accounts-module',
      audience: 'accounts-module',
      currentDate: clock.now(),
    });
    expect(verdict).toMatchObject({ ok: true, payload: { sub: 'usr_1', sid: 'ses_1' }, header: { kid: lib.keyId } });
  });

  test('a token signed by jose with the same key verifies', async () => {
    const { lib, clock } = makeTestLib({ tokens: { privateKey } });
    const privateJwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const payload = validPayload(clock, { iss: 'accounts-module', aud: 'accounts-module' });
    const token = signWithJose(payload, privateJwk, { alg: algorithm, typ: 'JWT' });
    expect(await lib.verifyAccessToken(token)).toMatchObject({ sub: 'usr_1', jti: 'j1' });
  });

  test('expired tokens, other keys, audiences and issuers are refused', async () => {
    const { lib, clock } = makeTestLib({ tokens: { privateKey } });
    const token = await lib.signAccessToken(INPUT);
    const other = makeTestLib({ tokens: { privateKey: freshKeyPair(algorithm).privateKey } }).lib;
    const otherAudience = makeTestLib({ tokens: { privateKey, audience: 'billing' } }).lib;
    const otherIssuer = makeTestLib({ tokens: { privateKey, issuer: 'elsewhere' } }).lib;
    expect(await lib.verifyAccessToken(await other.signAccessToken(INPUT))).toBeNull();
    expect(await lib.verifyAccessToken(await otherAudience.signAccessToken(INPUT))).toBeNull();
    expect(await lib.verifyAccessToken(await otherIssuer.signAccessToken(INPUT))).toBeNull();
    clock.advance(15 * 60_000);
    expect(await lib.verifyAccessToken(token)).toBeNull();
  });

  test('a tampered signature is refused', async () => {
    const { lib } = makeTestLib({ tokens: { privateKey } });
    const token = await lib.signAccessToken(INPUT);
    const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1);
    expect(await lib.verifyAccessToken(flipped)).toBeNull();
  });

  test('alg none and an HS256 token keyed with the public key are refused', async () => {
    const { lib, clock } = makeTestLib({ tokens: { privateKey } });
    const payload = b64json(validPayload(clock, { iss: 'accounts-module', aud: 'accounts-module' }));
    const unsigned = `${b64json({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    expect(await lib.verifyAccessToken(unsigned)).toBeNull();
    const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const input = `${b64json({ alg: 'HS256', typ: 'JWT', kid: lib.keyId })}.${payload}`;
    const forged = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    expect(await lib.verifyAccessToken(forged)).toBeNull();
  });
});

describe('DefaultLib signing-key validation', () => {
  test('a key that does not fit the requested algorithm is refused', () => {
    expect(() => new DefaultLib({ tokens: { privateKey: keyPairs.RS256.privateKey, algorithm: 'ES256' } })).toThrow(
      TypeError,
    );
    expect(() => new DefaultLib({ tokens: { secret: TEST_SECRET, algorithm: 'RS256' as never } })).toThrow(TypeError);
  });

  test('RSA keys under 2048 bits, curves other than P-256 and public keys are refused', () => {
    const smallRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    expect(() => new DefaultLib({ tokens: { privateKey: smallRsa } })).toThrow(RangeError);
    expect(() => new DefaultLib({ tokens: { privateKey: p384 } })).toThrow(TypeError);
    expect(() => new DefaultLib({ tokens: { privateKey: keyPairs.EdDSA.publicKey } })).toThrow(TypeError);
  });

  test('the JWK thumbprint follows RFC 7638 (the example of its section 3.1)', () => {
    const rfcKey = {
      kty: 'RSA',
      n:
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjB' +
        'ZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8' +
        'KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_' +
        'xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(rfcKey)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });
});
