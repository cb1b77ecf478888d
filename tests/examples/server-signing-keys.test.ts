import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type ServerOptions, serverOptionsFromEnv } from '../../examples/server-config';
import { asymmetricTokenOptions } from '../../examples/server-signing-keys';

const pem = (key: { export(options: { type: 'pkcs8'; format: 'pem' }): string | Buffer }) =>
  key.export({ type: 'pkcs8', format: 'pem' }).toString();
const ecPem = () => pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
const CURRENT = ecPem();
const NEXT = ecPem();
const FROM = '2027-03-01T12:00:00Z';

function configError(options: ServerOptions): ConfigError {
  try {
    asymmetricTokenOptions(options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('asymmetricTokenOptions: ACCOUNTS_JWT_NEXT_PRIVATE_KEY and ACCOUNTS_JWT_NEXT_KEY_FROM', () => {
  test('the environment names both variables, and unset they change nothing', () => {
    const options = serverOptionsFromEnv({
      ACCOUNTS_JWT_PRIVATE_KEY: CURRENT,
      ACCOUNTS_JWT_NEXT_PRIVATE_KEY: NEXT,
      ACCOUNTS_JWT_NEXT_KEY_FROM: FROM,
    });
    expect(options).toMatchObject({ jwtPrivateKey: CURRENT, jwtNextPrivateKey: NEXT, jwtNextKeyFrom: FROM });
    expect(asymmetricTokenOptions({})).toBeNull();
    expect(asymmetricTokenOptions({ jwtPrivateKey: CURRENT })).toEqual({ privateKey: CURRENT });
  });

  test('a next key (text or file) with its instant gives a rotation of the library', () => {
    const directory = mkdtempSync(join(tmpdir(), 'accounts-next-key-'));
    try {
      const file = join(directory, 'next.pem');
      writeFileSync(file, NEXT);
      for (const jwtNextPrivateKey of [NEXT, file]) {
        expect(asymmetricTokenOptions({ jwtPrivateKey: CURRENT, jwtNextPrivateKey, jwtNextKeyFrom: FROM })).toEqual({
          privateKey: CURRENT,
          next: { privateKey: NEXT, signsFrom: new Date(FROM) },
        });
      }
      const offset = asymmetricTokenOptions({
        jwtPrivateKey: CURRENT,
        jwtNextPrivateKey: NEXT,
        jwtNextKeyFrom: '2027-03-01T13:30:00.250+01:30',
      });
      expect(offset?.next?.signsFrom.toISOString()).toBe('2027-03-01T12:00:00.250Z');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test('a next key of another algorithm family is refused, naming both variables', () => {
    const ed25519 = pem(generateKeyPairSync('ed25519').privateKey);
    const error = configError({ jwtPrivateKey: CURRENT, jwtNextPrivateKey: ed25519, jwtNextKeyFrom: FROM });
    expect(error.variable).toBe('ACCOUNTS_JWT_NEXT_PRIVATE_KEY');
    expect(error.message).toMatch(
      /^ACCOUNTS_JWT_NEXT_PRIVATE_KEY signs EdDSA but ACCOUNTS_JWT_PRIVATE_KEY signs ES256: a rotation keeps the algorithm/,
    );
    const rsa = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    expect(configError({ jwtPrivateKey: CURRENT, jwtNextPrivateKey: rsa, jwtNextKeyFrom: FROM }).message).toMatch(
      /signs RS256 but ACCOUNTS_JWT_PRIVATE_KEY signs ES256/,
    );
  });

  test('the same key twice, a damaged next key or a weak one is refused as the next key', () => {
    expect(configError({ jwtPrivateKey: CURRENT, jwtNextPrivateKey: CURRENT, jwtNextKeyFrom: FROM })).toMatchObject({
      variable: 'ACCOUNTS_JWT_NEXT_PRIVATE_KEY',
      message: expect.stringMatching(/holds the same key as ACCOUNTS_JWT_PRIVATE_KEY/),
    });
    expect(configError({ jwtPrivateKey: CURRENT, jwtNextPrivateKey: 'garbage', jwtNextKeyFrom: FROM })).toMatchObject({
      variable: 'ACCOUNTS_JWT_NEXT_PRIVATE_KEY',
      message: expect.stringMatching(/^ACCOUNTS_JWT_NEXT_PRIVATE_KEY is neither a PEM private key/),
    });
    const rsa = pem(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const weak = pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey);
    expect(configError({ jwtPrivateKey: rsa, jwtNextPrivateKey: weak, jwtNextKeyFrom: FROM }).message).toBe(
      'ACCOUNTS_JWT_NEXT_PRIVATE_KEY cannot sign tokens: RSA keys must be at least 2048 bits',
    );
  });

  test('one variable of the pair without the other, or a next key over an HS256 secret, is refused', () => {
    expect(configError({ jwtPrivateKey: CURRENT, jwtNextKeyFrom: FROM }).variable).toBe('ACCOUNTS_JWT_NEXT_KEY_FROM');
    expect(configError({ jwtPrivateKey: CURRENT, jwtNextPrivateKey: NEXT })).toMatchObject({
      variable: 'ACCOUNTS_JWT_NEXT_KEY_FROM',
      message: expect.stringMatching(/is needed with ACCOUNTS_JWT_NEXT_PRIVATE_KEY/),
    });
    expect(configError({ jwtSecret: 'x'.repeat(32), jwtNextPrivateKey: NEXT, jwtNextKeyFrom: FROM })).toMatchObject({
      variable: 'ACCOUNTS_JWT_NEXT_PRIVATE_KEY',
      message: expect.stringMatching(/ACCOUNTS_JWT_PRIVATE_KEY is not/),
    });
  });

  test.each([
    ['2027-03-01T12:00:00', 'no time zone: instances in other zones would switch at other instants'],
    ['2027-03-01', 'a date without a time'],
    ['2027-02-30T12:00:00Z', 'a day the month does not have'],
    ['2027-03-01T24:00:00Z', 'an hour out of range'],
    ['next tuesday', 'not a date-time'],
  ])('ACCOUNTS_JWT_NEXT_KEY_FROM=%s is refused (%s)', (jwtNextKeyFrom) => {
    const error = configError({ jwtPrivateKey: CURRENT, jwtNextPrivateKey: NEXT, jwtNextKeyFrom });
    expect(error.variable).toBe('ACCOUNTS_JWT_NEXT_KEY_FROM');
    expect(error.message).toMatch(/^ACCOUNTS_JWT_NEXT_KEY_FROM is not a date-time this server reads: use an ISO 8601/);
  });
});
