import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createKnexFromUrl } from '../../../src/adapters/sql';

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
});
