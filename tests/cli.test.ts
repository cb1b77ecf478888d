import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createKnexFromUrl, currentSchemaVersion, LATEST_SCHEMA_VERSION, SCHEMA_VERSIONS } from '../src/adapters/sql';
import { type CliContext, main } from '../src/cli';
import { bootstrap } from '../src/cli-bootstrap';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');

function captured(env: NodeJS.ProcessEnv = {}): CliContext & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { env, lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

describe('accounts-module CLI', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'accounts-cli-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('migrates the database given by --url when run from the TypeScript sources, then finds nothing to do', async () => {
    const url = `sqlite:${join(directory, 'nested', 'accounts.db')}`;
    const cli = [join(ROOT, 'src/cli.ts'), 'migrate', '--url', url];
    const first = await run(join(ROOT, 'node_modules/.bin/tsx'), cli, { cwd: ROOT });
    expect(first.stdout).toContain(`Applied ${SCHEMA_VERSIONS.length} migration(s): ${SCHEMA_VERSIONS.join(', ')}`);
    const second = await run(join(ROOT, 'node_modules/.bin/tsx'), cli, { cwd: ROOT });
    expect(second.stdout).toContain('already up to date');
    const knex = createKnexFromUrl(url);
    try {
      expect(await currentSchemaVersion(knex)).toBe(LATEST_SCHEMA_VERSION);
    } finally {
      await knex.destroy();
    }
  });

  it('falls back to DATABASE_URL', async () => {
    const context = captured({ DATABASE_URL: `sqlite:${join(directory, 'env.db')}` });
    expect(await main(['migrate'], context)).toBe(0);
    expect(context.lines.join('\n')).toContain(LATEST_SCHEMA_VERSION);
  });

  it('refuses to migrate without a database URL', async () => {
    const context = captured();
    expect(await main(['migrate'], context)).toBe(2);
    expect(context.errors.join('\n')).toMatch(/--url or set DATABASE_URL/);
  });

  it('answers an unknown command with the list of commands and a usage exit code', async () => {
    const context = captured();
    expect(await main(['frobnicate'], context)).toBe(2);
    expect(context.errors.join('\n')).toContain('Unknown command "frobnicate"');
    expect(context.lines.join('\n')).toContain('migrate');
  });

  it('reports a failed migration with exit code 1 and no stack trace', async () => {
    const context = captured();
    expect(await main(['migrate', '--url', 'oracle://nowhere/db'], context)).toBe(1);
    expect(context.errors.join('\n')).toMatch(/^migrate failed: .*unsupported database URL scheme/);
    expect(context.errors.join('\n')).not.toMatch(/\n\s+at /);
  });

  it("shows and replaces a user's roles, refusing unknown roles and addresses", async () => {
    const url = `sqlite:${join(directory, 'roles.db')}`;
    const knex = createKnexFromUrl(url);
    try {
      await bootstrap(knex, { email: 'root@example.com', name: 'Root', bcryptCost: 4 });
    } finally {
      await knex.destroy();
    }
    const roles = async (...args: string[]) => {
      const context = captured();
      const code = await main(['roles', '--url', url, '--email', 'Root@Example.com', ...args], context);
      return { code, out: context.lines.join('\n'), err: context.errors.join('\n') };
    };

    expect(await roles()).toEqual({ code: 0, out: 'root@example.com: sysadmin, user', err: '' });
    expect(await roles('--set', 'employee, user')).toEqual({
      code: 0,
      out: 'root@example.com: employee, user',
      err: '',
    });
    expect(await roles()).toMatchObject({ code: 0, out: 'root@example.com: employee, user' });

    const refused = await roles('--set', 'superuser');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^roles failed: VALIDATION_FAILED: .*roles/);
    expect(await roles()).toMatchObject({ out: 'root@example.com: employee, user' });

    const unknown = captured();
    expect(await main(['roles', '--url', url, '--email', 'nobody@example.com'], unknown)).toBe(1);
    expect(unknown.errors.join('\n')).toMatch(/no user has the address nobody@example.com/);
    expect(await main(['roles', '--url', url], captured())).toBe(2);
  });
});
