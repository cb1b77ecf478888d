import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServerToExit } from './server-process';

/**
 * The example server as an operator meets it when something is wrong: started as `npm start` does,
 * it exits non-zero with one fatal line that names the setting, and waits for a database that is
 * not up yet, one line per attempt.
 */
let directory: string;
beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'accounts-startup-'));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('example server startup failures', () => {
  it('waits for a database that does not answer, then exits 1 saying where and what to do', async () => {
    const port = await unusedPort();
    const { code, entries, output } = await runServerToExit({
      cwd: directory,
      env: { DATABASE_URL: `postgres://app:s3cret-pw@127.0.0.1:${port}/accounts`, ACCOUNTS_DB_WAIT_SECONDS: '1' },
    });
    expect(code).toBe(1);
    const attempts = entries.filter((entry) => entry.attempt !== undefined);
    expect(attempts.map((entry) => entry.msg)).toEqual(
      [1, 2, 3].map((n) => expect.stringContaining(`(attempt ${n} of 4)`)),
    );
    expect(entries.at(-1)).toMatchObject({
      level: 'fatal',
      msg: expect.stringMatching(
        new RegExp(
          `^accounts-module failed to start: the database postgres://127\\.0\\.0\\.1:${port}/accounts did not answer`,
        ),
      ),
    });
    // Nothing but log lines: no knex stack, and never the password.
    expect(
      output
        .trim()
        .split('\n')
        .every((line) => line.startsWith('{')),
    ).toBe(true);
    expect(output).not.toContain('s3cret-pw');
  }, 30_000);

  it.each([
    ['ACCOUNTS_TRUST_PROXY', 'yes', /ACCOUNTS_TRUST_PROXY is "yes": use true/],
    ['ACCOUNTS_JWT_PRIVATE_KEY', 'garbage', /ACCOUNTS_JWT_PRIVATE_KEY is neither a PEM private key/],
    ['PORT', 'http', /PORT is "http"/],
    ['DATABASE_URL', 'redis://cache:6379', /DATABASE_URL/],
  ])(
    'exits 1 for %s=%s with one fatal line naming it',
    async (variable, value, message) => {
      const { code, entries } = await runServerToExit({ cwd: directory, env: { [variable]: value } });
      expect(code).toBe(1);
      expect(entries.filter((entry) => entry.level === 'fatal')).toEqual([
        expect.objectContaining({ msg: expect.stringMatching(message) }),
      ]);
    },
    30_000,
  );
});
