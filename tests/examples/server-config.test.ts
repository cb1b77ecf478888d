import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, checkSecretLength, privateKeyPem, serverOptionsFromEnv } from '../../examples/server-config';

/** What a `ConfigError` says, and which variable it names; fails the test when something else is thrown. */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('serverOptionsFromEnv: every bad setting names the variable, the problem and what to set', () => {
  it.each([
    ['PORT', 'http', /PORT is "http": it must be a port number from 0 to 65535/],
    ['PORT', '70000', /PORT is "70000": .*0 to 65535/],
    ['PORT', '-1', /PORT is "-1"/],
    ['PORT', '80.5', /PORT is "80\.5"/],
    ['ACCOUNTS_BCRYPT_COST', '3', /ACCOUNTS_BCRYPT_COST is "3": it must be a bcrypt cost from 4 to 31/],
    ['ACCOUNTS_DB_WAIT_SECONDS', 'forever', /ACCOUNTS_DB_WAIT_SECONDS is "forever": .*seconds from 0 to 3600/],
    [
      'ACCOUNTS_LOG_LEVEL',
      'loud',
      /ACCOUNTS_LOG_LEVEL is "loud": use one of fatal, error, warn, info, debug, trace, silent/,
    ],
  ])('%s=%s', (variable, value, message) => {
    const error = configError(() => serverOptionsFromEnv({ [variable]: value }));
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(message);
  });

  it('ACCOUNTS_TRUST_PROXY=yes lists the accepted values', () => {
    const error = configError(() => serverOptionsFromEnv({ ACCOUNTS_TRUST_PROXY: 'yes' }));
    expect(error.variable).toBe('ACCOUNTS_TRUST_PROXY');
    expect(error.message).toMatch(
      /ACCOUNTS_TRUST_PROXY is "yes": use true .*, false .* or the whole number of proxies/,
    );
  });

  it('reads true, false and a number of proxies, in any case', () => {
    expect(serverOptionsFromEnv({ ACCOUNTS_TRUST_PROXY: 'TRUE' }).trustProxy).toBe(true);
    expect(serverOptionsFromEnv({ ACCOUNTS_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(serverOptionsFromEnv({ ACCOUNTS_TRUST_PROXY: '3' }).trustProxy).toBe(3);
  });

  it('reads the wait, the log level and a port, and treats empty variables as unset', () => {
    expect(
      serverOptionsFromEnv({ ACCOUNTS_DB_WAIT_SECONDS: '0', ACCOUNTS_LOG_LEVEL: 'DEBUG', PORT: '0', HOST: '' }),
    ).toMatchObject({ databaseWaitSeconds: 0, logLevel: 'debug', port: 0, host: undefined });
  });

  it('never quotes a control character or more than 40 characters of a value', () => {
    const error = configError(() => serverOptionsFromEnv({ PORT: `1\n${'9'.repeat(100)}` }));
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain(`1?${'9'.repeat(38)}…`);
  });
});

describe('privateKeyPem: ACCOUNTS_JWT_PRIVATE_KEY is PEM text, or the path of an existing file', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'accounts-server-config-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  it('takes PEM text as it is, and reads a file that exists', () => {
    const text = pem();
    expect(privateKeyPem(text)).toBe(text);
    const file = join(directory, 'key.pem');
    writeFileSync(file, text);
    expect(privateKeyPem(file)).toBe(text);
  });

  it('does not read "garbage" as a path, and says both accepted forms without quoting the value', () => {
    const error = configError(() => privateKeyPem('garbage'));
    expect(error.variable).toBe('ACCOUNTS_JWT_PRIVATE_KEY');
    expect(error.message).toMatch(
      /ACCOUNTS_JWT_PRIVATE_KEY is neither a PEM private key .* nor the path of an existing file/,
    );
    expect(error.message).toMatch(/PEM text of the key .* or to the path of a file holding it/);
    expect(error.message).not.toContain('garbage');
  });

  it('names the variable for a damaged PEM, not only the decoder', () => {
    const damaged = pem().replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!');
    const error = configError(() => privateKeyPem(damaged));
    expect(error.message).toMatch(/^ACCOUNTS_JWT_PRIVATE_KEY \(given as text\) is not a usable PEM private key/);
    expect(error.message).toMatch(/RSA, EC P-256 or Ed25519/);
  });

  it('names the file for a file that holds no key', () => {
    const file = join(directory, 'notes.txt');
    writeFileSync(file, 'not a key');
    expect(configError(() => privateKeyPem(file)).message).toContain(
      `(read from ${file}) is not a usable PEM private key`,
    );
  });

  it('refuses a public key', () => {
    const publicPem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(configError(() => privateKeyPem(publicPem)).message).toMatch(/is not a usable PEM private key/);
  });
});

describe('checkSecretLength', () => {
  it('refuses a short secret, naming the variable and its length, never the value', () => {
    const error = configError(() => checkSecretLength('ACCOUNTS_JWT_SECRET', 'short-secret'));
    expect(error.message).toMatch(/^ACCOUNTS_JWT_SECRET is 12 bytes long: it must be at least 32 random bytes/);
    expect(error.message).not.toContain('short-secret');
  });

  it('passes a long enough secret through', () => {
    expect(checkSecretLength('ACCOUNTS_CODE_SECRET', 'k'.repeat(32))).toBe('k'.repeat(32));
  });
});
