import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { DefaultLib, type DefaultLibOptions, ManualClock, RecordingEmailer } from '../../../src/adapters/lib';

/** The project root, where the child processes resolve `jose` from node_modules. */
const PROJECT_ROOT = join(__dirname, '..', '..', '..');

/** A fixed HS256 secret (39 bytes) for tests. */
export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnop';

/** A DefaultLib with cost-4 bcrypt, a manual clock and a recording emailer, overridable per test. */
export function makeTestLib(overrides: Partial<DefaultLibOptions> = {}): {
  lib: DefaultLib;
  clock: ManualClock;
  emailer: RecordingEmailer;
} {
  const clock = new ManualClock();
  const emailer = new RecordingEmailer();
  const lib = new DefaultLib({
    tokens: { secret: TEST_SECRET },
    passwords: { bcryptCost: 4 },
    emailer,
    clock: () => clock.now(),
    ...overrides,
  });
  return { lib, clock, emailer };
}

export interface JoseVerdict {
  ok: boolean;
  payload?: Record<string, unknown>;
  header?: Record<string, unknown>;
  error?: string;
}

/**
 * Verifies a token with the `jose` library against a JWKS. jose 6 is ESM-only and Jest here runs
 * CommonJS, which cannot load it, so the check runs in a child Node process.
 */
export function verifyWithJose(
  token: string,
  jwks: unknown,
  expected: { issuer: string; audience: string; currentDate: Date },
): JoseVerdict {
  const script = `
    import { createLocalJWKSet, jwtVerify } from 'jose';
    const input = JSON.parse(process.env.JOSE_INPUT);
    try {
      const { payload, protectedHeader } = await jwtVerify(input.token, createLocalJWKSet(input.jwks), {
        issuer: input.issuer, audience: input.audience, currentDate: new Date(input.currentDate),
      });
      process.stdout.write(JSON.stringify({ ok: true, payload, header: protectedHeader }));
    } catch (error) {
      process.stdout.write(JSON.stringify({ ok: false, error: String(error && error.code || error) }));
    }`;
  const input = JSON.stringify({ token, jwks, ...expected, currentDate: expected.currentDate.toISOString() });
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, JOSE_INPUT: input },
    encoding: 'utf8',
  });
  return JSON.parse(output) as JoseVerdict;
}

/** Signs a token with `jose` (in a child process, see `verifyWithJose`) using a private JWK. */
export function signWithJose(
  payload: Record<string, unknown>,
  privateJwk: Record<string, unknown>,
  header: Record<string, unknown>,
): string {
  const script = `
    import { importJWK, SignJWT } from 'jose';
    const input = JSON.parse(process.env.JOSE_INPUT);
    const key = await importJWK(input.jwk, input.header.alg);
    const token = await new SignJWT(input.payload).setProtectedHeader(input.header).sign(key);
    process.stdout.write(token);`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, JOSE_INPUT: JSON.stringify({ payload, jwk: privateJwk, header }) },
    encoding: 'utf8',
  });
}
