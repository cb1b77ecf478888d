import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createKnexFromUrl, currentSchemaVersion, LATEST_SCHEMA_VERSION, SCHEMA_VERSIONS } from '../src/adapters/sql';
import { bootstrap, grantSysadminCommand } from '../src/cli/bootstrap';
import { type CliContext, main } from '../src/cli/main';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function captured(env: NodeJS.ProcessEnv = {}): CliContext & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { env, lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const context = captured(env);
  const code = await main(argv, context);
  return { code, out: context.lines.join('\n'), err: context.errors.join('\n') };
}

describe('accounts-module CLI', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'accounts-cli-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  async function withSysadmin(file: string, email = 'root@example.com'): Promise<string> {
    const url = `sqlite:${join(directory, file)}`;
    const knex = createKnexFromUrl(url);
    try {
      await bootstrap(knex, { email, name: 'Root', bcryptCost: 4 });
    } finally {
      await knex.destroy();
    }
    return url;
  }

  it('migrates the database given by --url when run from the TypeScript sources, then finds nothing to do', async () => {
    const url = `sqlite:${join(directory, 'nested', 'accounts.db')}`;
    const args = [join(ROOT, 'src/cli/main.ts'), 'migrate', '--url', url];
    const first = await run(join(ROOT, 'node_modules/.bin/tsx'), args, { cwd: ROOT });
    expect(first.stdout).toContain(`Applied ${SCHEMA_VERSIONS.length} migration(s): ${SCHEMA_VERSIONS.join(', ')}`);
    const second = await run(join(ROOT, 'node_modules/.bin/tsx'), args, { cwd: ROOT });
    expect(second.stdout).toContain('already up to date');
    const knex = createKnexFromUrl(url);
    try {
      expect(await currentSchemaVersion(knex)).toBe(LATEST_SCHEMA_VERSION);
    } finally {
      await knex.destroy();
    }
  });

  it('falls back to DATABASE_URL', async () => {
    const result = await cli(['migrate'], { DATABASE_URL: `sqlite:${join(directory, 'env.db')}` });
    expect(result.code).toBe(0);
    expect(result.out).toContain(LATEST_SCHEMA_VERSION);
  });

  it('takes a plain path as a SQLite file', async () => {
    const result = await cli(['migrate', '--url', join(directory, 'plain', 'accounts.db')]);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain(LATEST_SCHEMA_VERSION);
  });

  it('refuses to migrate without a database URL, naming the flag and the variable, with the usage', async () => {
    const result = await cli(['migrate']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^migrate: no database given: pass --url <database URL> or set DATABASE_URL/);
    expect(result.err).toContain('Usage: accounts-module migrate [--url <database URL>]');
  });

  it('reports an unknown URL scheme naming the flag, the value and the accepted forms, without a stack', async () => {
    const result = await cli(['migrate', '--url', 'oracle://nowhere/db']);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /^migrate failed: --url is oracle:\/\/nowhere\/db: the scheme "oracle:" is not supported/,
    );
    expect(result.err).toContain('sqlite:<path>');
    expect(result.err).not.toMatch(/\n\s+at /);
  });

  it('names the variable when the bad URL came from DATABASE_URL', async () => {
    const result = await cli(['migrate'], { DATABASE_URL: 'oracle://nowhere/db' });
    expect(result.err).toMatch(/^migrate failed: DATABASE_URL is oracle:\/\/nowhere\/db/);
  });

  it('answers an unknown command and an unknown flag as usage errors', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('Unknown command "frobnicate": the commands are migrate, bootstrap, roles.');
    const misspelt = await cli(['roles', '--emial', 'a@example.com']);
    expect(misspelt.code).toBe(2);
    expect(misspelt.err).toMatch(/^roles: Unknown option '--emial'/);
    expect(misspelt.err).toContain('Usage: accounts-module roles --email <address>');
  });

  it('prints the overview for --help, -h and help, and the usage on stderr with exit 2 for no command', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const result = await cli(argv);
      expect(result).toMatchObject({ code: 0, err: '' });
      expect(result.out).toMatch(/^Usage: accounts-module <command> \[options\]/);
      for (const name of ['migrate', 'bootstrap', 'roles', '--version']) expect(result.out).toContain(name);
    }
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('Usage: accounts-module <command>');
  });

  it("prints one command's options for help <command> and <command> --help", async () => {
    const viaHelp = await cli(['help', 'roles']);
    const viaFlag = await cli(['roles', '--url', 'sqlite::memory:', '--help']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.out).toMatch(/^Usage: accounts-module roles --email <address>/);
    expect(viaHelp.out).toContain('--set <role>[,<role>…]');
    expect(viaFlag).toEqual(viaHelp);
    expect((await cli(['help', 'frobnicate'])).code).toBe(2);
  });

  it('prints the version of package.json for --version, also when run from the sources by tsx', async () => {
    expect(await cli(['--version'])).toEqual({ code: 0, out: VERSION, err: '' });
    const spawned = await run(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/cli/main.ts'), '--version'], {
      cwd: directory,
    });
    expect(spawned.stdout.trim()).toBe(VERSION);
  });

  it("shows and replaces a user's roles, refusing unknown roles and addresses by name", async () => {
    const url = await withSysadmin('roles.db');
    const roles = (...args: string[]) => cli(['roles', '--url', url, '--email', 'Root@Example.com', ...args]);

    expect(await roles()).toEqual({ code: 0, out: 'root@example.com: sysadmin, user', err: '' });
    const refused = await roles('--set', 'superuser,user');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(
      /^roles: --set superuser,user: "superuser" is not a role; the roles are sysadmin, employee, user/,
    );
    expect(await roles()).toMatchObject({ out: 'root@example.com: sysadmin, user' });

    const unknown = await cli(['roles', '--url', url, '--email', 'nobody@example.com']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/--email nobody@example.com: no user has this address/);
    const missing = await cli(['roles', '--url', url]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^roles: --email is missing/);
  });

  it('refuses to take the role from the last sysadmin, and allows it once another one exists', async () => {
    const url = await withSysadmin('last.db');
    const refused = await cli(['roles', '--url', url, '--email', 'root@example.com', '--set', 'employee,user']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /^roles failed: root@example.com is the only sysadmin who can log in: removing the role/,
    );
    expect((await cli(['roles', '--url', url, '--email', 'root@example.com'])).out).toBe(
      'root@example.com: sysadmin, user',
    );

    const knex = createKnexFromUrl(url);
    try {
      const [root] = await knex('users').select('id', 'created_at', 'updated_at');
      await knex('users').insert({
        ...root,
        id: 'usr_second',
        name: 'Second',
        roles: 'sysadmin',
        password_hash: null,
        deleted_at: null,
        banned_at: null,
        credential_version: 0,
      });
    } finally {
      await knex.destroy();
    }
    const allowed = await cli(['roles', '--url', url, '--email', 'root@example.com', '--set', 'employee,user']);
    expect(allowed).toEqual({ code: 0, out: 'root@example.com: employee, user', err: '' });
  });

  it('bootstrap on a database with users changes nothing and prints the roles command to run instead', async () => {
    const url = await withSysadmin('used.db');
    const result = await cli(['bootstrap', '--url', url, '--email', 'Ann@Example.com']);
    expect(result.code).toBe(1);
    expect(result.err).toContain('bootstrap: the database already has 1 user(s)');
    expect(result.err).toContain(
      `To make an existing user a sysadmin, run: accounts-module roles --url ${url} --email <that user's address> --set sysadmin,user`,
    );
    const viaEnv = await cli(['bootstrap', '--email', 'ann@example.com'], { DATABASE_URL: url });
    expect(viaEnv.err).toContain("run: accounts-module roles --email <that user's address> --set sysadmin,user");
  });

  it('never prints a database password in the suggested command', () => {
    expect(grantSysadminCommand({ url: 'postgres://app:s3cret@db/accounts', source: '--url' }, 'a@example.com')).toBe(
      'accounts-module roles --url <database URL> --email a@example.com --set sysadmin,user',
    );
    for (const url of ['postgres://app@db/accounts?password=s3cret', 'root:s3cret@db.example.com:3306/app']) {
      expect(grantSysadminCommand({ url, source: '--url' }, 'a@example.com')).not.toContain('s3cret');
    }
  });

  it('bootstrap names a bad flag or variable before touching the database', async () => {
    const url = `sqlite:${join(directory, 'fresh.db')}`;
    const noEmail = await cli(['bootstrap', '--url', url]);
    expect(noEmail.code).toBe(2);
    expect(noEmail.err).toMatch(/^bootstrap: --email is missing/);
    const badCost = await cli(['bootstrap', '--url', url, '--email', 'root@example.com'], {
      ACCOUNTS_BCRYPT_COST: 'lots',
    });
    expect(badCost.code).toBe(2);
    expect(badCost.err).toMatch(/^bootstrap: ACCOUNTS_BCRYPT_COST is "lots": it must be a whole number from 4 to 31/);
    const orphanOrganization = await cli([
      'bootstrap',
      '--url',
      url,
      '--email',
      'r@example.com',
      '--organization',
      'X',
    ]);
    expect(orphanOrganization.err).toMatch(/--organization .* pass --system-client too/);
  });
});
