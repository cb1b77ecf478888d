import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDb } from '../support/databases';
import { describeContract } from './contract';
import { PASSWORD } from './contract/target';
import { httpTarget, runCli, type ServerProcess, spawnServer } from './server-process';

/**
 * The whole contract against the example server on MariaDB (a fresh database of its own, created and
 * dropped around the suite). Skipped with a notice when no server is reachable, and failing instead
 * under ACCOUNTS_TEST_REQUIRE_DBS=1, as CI runs it.
 */
describeDb('mariadb', 'example server end to end', (database) => {
  const directory = mkdtempSync(join(tmpdir(), 'accounts-e2e-mariadb-'));
  const outbox = join(directory, 'outbox.jsonl');
  const sysadmin = { email: 'root@example.com', password: PASSWORD };
  let server: ServerProcess;

  beforeAll(async () => {
    const env = { DATABASE_URL: database().url, ACCOUNTS_DEV_OUTBOX: outbox, ACCOUNTS_BCRYPT_COST: '4' };
    const bootstrapped = await runCli(['bootstrap', '--email', sysadmin.email, '--password-stdin'], {
      cwd: directory,
      env,
      stdin: sysadmin.password,
    });
    expect(bootstrapped).toMatchObject({ code: 0, stderr: '' });
    server = await spawnServer({ cwd: directory, env });
  }, 60_000);

  afterAll(async () => {
    // A clean stop closes the pool before the database is dropped.
    if (server) expect(await server.stop('SIGTERM')).toBe(0);
    rmSync(directory, { recursive: true, force: true });
  });

  describeContract(() =>
    httpTarget(() => server.url, { outbox, sysadmin, database: { url: database().url, cwd: directory } }),
  );
});
