import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createKnexFromUrl, redactDatabaseUrl } from '../../../src/adapters/sql';
import { DatabaseUrlError } from '../../../src/adapters/sql/connect';

/** Where a `sqlite:` URL puts its file (the URL is parsed without opening the database). */
function sqliteFile(url: string): string {
  const knex = createKnexFromUrl(url);
  const { filename } = knex.client.config.connection as { filename: string };
  void knex.destroy();
  return filename;
}

describe('createKnexFromUrl for SQLite', () => {
  const directory = mkdtempSync(join(tmpdir(), 'accounts-connect-'));
  const cwd = process.cwd();
  beforeAll(() => process.chdir(directory));
  afterAll(() => {
    process.chdir(cwd);
    rmSync(directory, { recursive: true, force: true });
  });

  it('reads sqlite:<path> and sqlite://<path> as relative to the working directory', () => {
    expect(sqliteFile('sqlite:data/a.db')).toBe(resolve(directory, 'data/a.db'));
    expect(sqliteFile('sqlite://data/b.db')).toBe(resolve(directory, 'data/b.db'));
  });

  it('reads sqlite:/<path> and sqlite:///<path> as absolute', () => {
    expect(sqliteFile(`sqlite:${join(directory, 'c.db')}`)).toBe(join(directory, 'c.db'));
    expect(sqliteFile(`sqlite://${join(directory, 'd.db')}`)).toBe(join(directory, 'd.db'));
  });

  it('keeps an in-memory database in memory', () => {
    expect(sqliteFile('sqlite::memory:')).toBe(':memory:');
  });

  it('reads a plain path without a scheme as a SQLite file', () => {
    expect(sqliteFile('./data/cli.db')).toBe(resolve(directory, 'data/cli.db'));
    expect(sqliteFile('data/x.db')).toBe(resolve(directory, 'data/x.db'));
    expect(sqliteFile(join(directory, 'abs.db'))).toBe(join(directory, 'abs.db'));
    expect(sqliteFile('data/with:colon.db')).toBe(resolve(directory, 'data/with:colon.db'));
  });
});

describe('createKnexFromUrl refusing a URL', () => {
  function refusal(url: string, source?: string): DatabaseUrlError {
    try {
      void createKnexFromUrl(url, { source }).destroy();
    } catch (error) {
      if (error instanceof DatabaseUrlError) return error;
      throw error;
    }
    throw new Error(`${url} was accepted`);
  }

  it('names the setting and the value of an unknown scheme, and lists the accepted forms', () => {
    const error = refusal('oracle://scott:tiger@db.example.com/orcl', 'DATABASE_URL');
    expect(error.reason).toBe('unknown-scheme');
    expect(error.message).toMatch(/^DATABASE_URL is oracle:\/\/scott:\*\*\*@db\.example\.com\/orcl: .*"oracle:"/);
    expect(error.message).not.toContain('tiger');
    for (const form of ['mysql://', 'postgres://', 'sqlite:<path>', './data/accounts.db']) {
      expect(error.message).toContain(form);
    }
  });

  it.each([
    'mysql//root:s3cretPW@db.example.com/app',
    '//root:s3cretPW@db.example.com/app',
    'postgres//app:s3cretPW@db/app',
    '127.0.0.1:3306/app',
    'db.example.com/app',
  ])('refuses %j rather than opening it as a local SQLite file, without showing the password', (url) => {
    const error = refusal(url, 'DATABASE_URL');
    expect(error.reason).toBe('unknown-scheme');
    expect(error.message).toMatch(/^DATABASE_URL is /);
    expect(error.message).not.toContain('s3cretPW');
  });

  it('refuses an empty URL, naming the setting', () => {
    const error = refusal('  ', '--url');
    expect(error.reason).toBe('empty');
    expect(error.message).toMatch(/^--url is empty: set it to one of mysql:\/\//);
  });
});

describe('redactDatabaseUrl', () => {
  it.each([
    ['mysql://root:s3cretPW@db.example.com/app', 'mysql://root:***@db.example.com/app'],
    ['postgres://app@db/app?password=s3cretPW', 'postgres://app@db/app?password=***'],
    ['root:s3cretPW@db.example.com:3306/app', 'root:***@db.example.com:3306/app'],
    ['./data/accounts.db', './data/accounts.db'],
  ])('shows %j as %j', (url, shown) => {
    expect(redactDatabaseUrl(url)).toBe(shown);
  });
});
