import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { DefaultLib, jwkThumbprint } from '../../../src/adapters/lib';
import type { AccessTokenInput } from '../../../src/ports/lib';
import { makeTestLib, signWithJose, TEST_SECRET, verifyWithJose } from './fixtures';

const INPUT: AccessTokenInput = {
  userId: 'usr_1',
  sessionId: 'ses_1',
  roles: ['user'],
  clientId: null,
  authMethod: 'password',
  authenticatedAt: new Date('2026-01-01T00:00:00.000Z'),
};
/** The ManualClock starts at 2026-01-01T00:00:00Z; the next key takes over an hour later. */
const SWITCH = new Date('2026-01-01T01:00:00.000Z');
const TTL_MS = 15 * 60_000;
const EXPECTED = { issuer: 'accounts-module', audience: 'accounts-module' };

type Asymmetric = 'RS256' | 'ES256' | 'EdDSA';

function privateKeyFor(algorithm: Asymmetric): KeyObject {
  if (algorithm === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  if (algorithm === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return generateKeyPairSync('ed25519').privateKey;
}

const thumbprintOf = (privateKey: KeyObject) =>
  jwkThumbprint(privateKey.export({ format: 'jwk' }) as Record<string, unknown>);
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());

function rotatingLib(algorithm: Asymmetric) {
  const currentKey = privateKeyFor(algorithm);
  const nextKey = privateKeyFor(algorithm);
  const made = makeTestLib({ tokens: { privateKey: currentKey, next: { privateKey: nextKey, signsFrom: SWITCH } } });
  return { ...made, currentKid: thumbprintOf(currentKey), nextKid: thumbprintOf(nextKey), currentKey, nextKey };
}

describe.each(['RS256', 'ES256', 'EdDSA'] as const)('DefaultLib %s signing-key rotation', (algorithm) => {
  test('tokens are signed with the current key before the switch and the next key from it', async () => {
    const { lib, clock, currentKid, nextKid } = rotatingLib(algorithm);
    clock.set(SWITCH.getTime() - 1000);
    const before = await lib.signAccessToken(INPUT);
    expect(headerOf(before)).toMatchObject({ alg: algorithm, kid: currentKid });
    expect(lib.keyId).toBe(currentKid);
    clock.set(SWITCH);
    const after = await lib.signAccessToken(INPUT);
    expect(headerOf(after)).toMatchObject({ alg: algorithm, kid: nextKid });
    expect(lib.keyId).toBe(nextKid);
    expect(await lib.verifyAccessToken(after)).toMatchObject({ sub: 'usr_1', sid: 'ses_1' });
  });

  test('a token of the old key verifies after the switch until it expires', async () => {
    const { lib, clock } = rotatingLib(algorithm);
    clock.set(SWITCH.getTime() - 60_000);
    const old = await lib.signAccessToken(INPUT);
    clock.set(SWITCH.getTime() + 60_000);
    expect(await lib.verifyAccessToken(old)).toMatchObject({ sub: 'usr_1' });
    clock.set(SWITCH.getTime() - 60_000 + TTL_MS);
    expect(await lib.verifyAccessToken(old)).toBeNull();
  });

  test('the JWKS publishes both public keys, with distinct kids, from before the switch', () => {
    const { lib, currentKid, nextKid } = rotatingLib(algorithm);
    const { keys } = lib.jwks();
    expect(keys.map((key) => key.kid)).toEqual([currentKid, nextKid]);
    for (const key of keys) {
      expect(key).toMatchObject({ alg: algorithm, use: 'sig' });
      expect(key).not.toHaveProperty('d');
    }
  });
});

describe('DefaultLib signing-key rotation: verification by kid', () => {
  test('a token of the next key verifies before the switch: another instance may sign a little early', async () => {
    const { lib, clock } = rotatingLib('ES256');
    clock.set(SWITCH);
    const early = await lib.signAccessToken(INPUT);
    clock.set(SWITCH.getTime() - 30_000);
    expect(await lib.verifyAccessToken(early)).toMatchObject({ sub: 'usr_1' });
  });

  test('an unknown kid, or a known kid on a token signed by another key, is refused', async () => {
    const { lib, clock, currentKid } = rotatingLib('ES256');
    const stranger = privateKeyFor('ES256').export({ format: 'jwk' }) as Record<string, unknown>;
    const iat = Math.floor(clock.now().getTime() / 1000);
    const payload = { sub: 'usr_1', sid: 'ses_1', roles: ['user'], jti: 'j1', iat, exp: iat + 900, ...EXPECTED };
    const withOtherKid = signWithJose({ ...payload, iss: 'accounts-module', aud: 'accounts-module' }, stranger, {
      alg: 'ES256',
      kid: 'someone-else',
    });
    const withOurKid = signWithJose({ ...payload, iss: 'accounts-module', aud: 'accounts-module' }, stranger, {
      alg: 'ES256',
      kid: currentKid,
    });
    expect(await lib.verifyAccessToken(withOtherKid)).toBeNull();
    expect(await lib.verifyAccessToken(withOurKid)).toBeNull();
  });

  test('a token without kid is checked against the key that signs at that moment', async () => {
    const { lib, clock, currentKey, nextKey } = rotatingLib('ES256');
    const token = (key: KeyObject) => {
      const iat = Math.floor(clock.now().getTime() / 1000);
      const payload = { sub: 'usr_1', sid: 'ses_1', roles: ['user'], jti: 'j1', iat, exp: iat + 900 };
      const jwk = key.export({ format: 'jwk' }) as Record<string, unknown>;
      return signWithJose({ ...payload, iss: 'accounts-module', aud: 'accounts-module' }, jwk, { alg: 'ES256' });
    };
    expect(await lib.verifyAccessToken(token(currentKey))).not.toBeNull();
    expect(await lib.verifyAccessToken(token(nextKey))).toBeNull();
    clock.set(SWITCH);
    expect(await lib.verifyAccessToken(token(nextKey))).not.toBeNull();
    expect(await lib.verifyAccessToken(token(currentKey))).toBeNull();
  });

  test('jose verifies tokens of both keys against the JWKS, before and after the switch', async () => {
    const { lib, clock, currentKid, nextKid } = rotatingLib('EdDSA');
    clock.set(SWITCH.getTime() - 1000);
    const before = await lib.signAccessToken(INPUT);
    expect(verifyWithJose(before, lib.jwks(), { ...EXPECTED, currentDate: clock.now() })).toMatchObject({
      ok: true,
      header: { kid: currentKid },
    });
    clock.set(SWITCH.getTime() + 1000);
    const after = await lib.signAccessToken(INPUT);
    for (const [token, kid] of [
      [after, nextKid],
      [before, currentKid],
    ]) {
      expect(verifyWithJose(token!, lib.jwks(), { ...EXPECTED, currentDate: clock.now() })).toMatchObject({
        ok: true,
        payload: { sub: 'usr_1' },
        header: { kid },
      });
    }
  });
});

describe('DefaultLib signing-key rotation: misconfigurations', () => {
  const next = (privateKey: KeyObject | string, signsFrom: Date = SWITCH) => ({ privateKey, signsFrom });

  test('a next key of another algorithm family is refused, naming both algorithms', () => {
    const construct = () =>
      new DefaultLib({ tokens: { privateKey: privateKeyFor('ES256'), next: next(privateKeyFor('EdDSA')) } });
    expect(construct).toThrow(TypeError);
    expect(construct).toThrow(/tokens\.next\.privateKey signs EdDSA but the current key signs ES256/);
  });

  test('a next key with an HS256 secret, the same key twice, or an invalid date is refused', () => {
    const key = privateKeyFor('ES256');
    expect(() => new DefaultLib({ tokens: { secret: TEST_SECRET, next: next(key) } as never })).toThrow(
      /an HS256 secret has no rotation/,
    );
    expect(() => new DefaultLib({ tokens: { privateKey: key, next: next(key) } })).toThrow(/the same kid/);
    expect(
      () => new DefaultLib({ tokens: { privateKey: key, next: next(privateKeyFor('ES256'), new Date('nope')) } }),
    ).toThrow(/signsFrom must be a valid Date/);
  });

  test('the next key passes the checks of the current one (RSA size, private key)', () => {
    const current = privateKeyFor('RS256');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => new DefaultLib({ tokens: { privateKey: current, next: next(small) } })).toThrow(
      /^DefaultLib: tokens\.next\.privateKey: RSA keys must be at least 2048 bits$/,
    );
    const publicKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(() => new DefaultLib({ tokens: { privateKey: current, next: next(publicKey) } })).toThrow(
      /tokens\.next\.privateKey: must be a private key/,
    );
  });

  test('an explicit keyId of the next key is used and must differ from the current one', async () => {
    const key = privateKeyFor('ES256');
    const nextKey = privateKeyFor('ES256');
    const { lib, clock } = makeTestLib({
      tokens: { privateKey: key, keyId: '2026-01', next: { privateKey: nextKey, keyId: '2026-02', signsFrom: SWITCH } },
    });
    clock.set(SWITCH);
    expect(headerOf(await lib.signAccessToken(INPUT)).kid).toBe('2026-02');
    expect(
      () =>
        new DefaultLib({
          tokens: { privateKey: key, keyId: 'k', next: { privateKey: nextKey, keyId: 'k', signsFrom: SWITCH } },
        }),
    ).toThrow(/the same kid as the current key \(k\)/);
  });
});
