import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createKnexFromUrl,
  currentSchemaVersion,
  LATEST_SCHEMA_VERSION,
  SCHEMA_VERSIONS,
  SqlIo,
} from '../src/adapters/sql';
import { bootstrap, grantSysadminCommand } from '../src/cli/bootstrap';
import { type CliContext, main } from '../src/cli/main';
import { parseRetention } from '../src/cli/prune-events';
import type { EventRecord } from '../src/ports/outbox';

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
    expect(unknown.err).toContain(
      'Unknown command "frobnicate": the commands are migrate, bootstrap, roles, prune-events.',
    );
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
      for (const name of ['migrate', 'bootstrap', 'roles', 'prune-events', '--version']) {
        expect(result.out).toContain(name);
      }
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

  describe('prune-events', () => {
    const DAY = 86_400_000;
    const event = (id: string, at: Date): EventRecord => ({
      id,
      type: 'user.registered',
      at,
      actor: { userId: null, clientId: null, ip: null },
      subjects: { userId: 'usr_pruned', organizationId: null, clientId: null, sessionId: null },
      payload: {},
    });

    /** A migrated SQLite file holding: old and delivered, old and waiting, recent and delivered, 3 hours old and delivered. */
    async function withEvents(file: string): Promise<string> {
      const url = `sqlite:${join(directory, file)}`;
      expect((await cli(['migrate', '--url', url])).code).toBe(0);
      const knex = createKnexFromUrl(url);
      try {
        const io = new SqlIo(knex);
        const now = Date.now();
        await io.appendEvents([event('evt_old', new Date(now - 100 * DAY))], {
          deliveredAt: new Date(now - 100 * DAY),
        });
        await io.appendEvents([event('evt_old_waiting', new Date(now - 100 * DAY))]);
        await io.appendEvents([event('evt_recent', new Date(now - DAY))], { deliveredAt: new Date(now - DAY) });
        await io.appendEvents([event('evt_hours', new Date(now - 3 * 3_600_000))], { deliveredAt: new Date(now) });
      } finally {
        await knex.destroy();
      }
      return url;
    }

    async function remaining(url: string): Promise<string[]> {
      const knex = createKnexFromUrl(url);
      try {
        const stored = await new SqlIo(knex).listEvents({ userId: 'usr_pruned', limit: 100 });
        return stored.map((stored) => stored.id);
      } finally {
        await knex.destroy();
      }
    }

    it('deletes the delivered events older than the duration, keeps waiting and newer ones, and says how many', async () => {
      const url = await withEvents('prune.db');
      const result = await cli(['prune-events', '--older-than', '90d', '--url', url]);
      expect(result).toMatchObject({ code: 0, err: '' });
      expect(result.out).toMatch(/^Pruned 1 event older than 90d \(before \d{4}-\d{2}-\d{2}T[0-9:.]+Z\)\.$/);
      expect(await remaining(url)).toEqual(['evt_old_waiting', 'evt_recent', 'evt_hours']);

      const again = await cli(['prune-events', '--older-than', '90d'], { DATABASE_URL: url });
      expect(again.out).toMatch(/^Pruned 0 events older than 90d/);
      const hours = await cli(['prune-events', '--older-than', '2h', '--url', url]);
      expect(hours.out).toMatch(/^Pruned 2 events older than 2h/);
      expect(await remaining(url)).toEqual(['evt_old_waiting']);
    });

    it('takes days, hours and minutes, and refuses any other duration by name, before touching the database', async () => {
      expect([parseRetention('90d'), parseRetention('12h'), parseRetention('30m')]).toEqual([
        90 * DAY,
        12 * 3_600_000,
        30 * 60_000,
      ]);
      const url = `sqlite:${join(directory, 'untouched.db')}`;
      for (const duration of ['90', '90x', '1.5d', '-1d', '0d', '', 'd', '90 days', '1w', '9999999d']) {
        const result = await cli(['prune-events', `--older-than=${duration}`, '--url', url]);
        expect({ duration, code: result.code }).toEqual({ duration, code: 2 });
        expect(result.err).toContain(`prune-events: --older-than is "${duration}": it must be a whole number`);
        expect(result.err).toContain('Usage: accounts-module prune-events --older-than <duration>');
      }
      const missing = await cli(['prune-events', '--url', url]);
      expect(missing.code).toBe(2);
      expect(missing.err).toMatch(/^prune-events: --older-than is missing/);
      expect(existsSync(join(directory, 'untouched.db'))).toBe(false);
    });

    it('asks for a migration on a database without the events table', async () => {
      const result = await cli([
        'prune-events',
        '--older-than',
        '90d',
        '--url',
        `sqlite:${join(directory, 'bare.db')}`,
      ]);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(
        /^prune-events failed: the database has no events table: run `accounts-module migrate`/,
      );
    });

    it('is listed with its options', async () => {
      const help = await cli(['help', 'prune-events']);
      expect(help.code).toBe(0);
      expect(help.out).toMatch(/^Usage: accounts-module prune-events --older-than <duration> \[--url <database URL>\]/);
      expect(help.out).toContain('d (days), h (hours) or m (minutes)');
    });
  });
});
