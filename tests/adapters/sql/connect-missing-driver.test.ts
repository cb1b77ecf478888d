import { DatabaseUrlError } from '../../../src/adapters/sql/connect';

// pg and mysql2 are optional peer dependencies: simulate an application that installed neither.
function moduleNotFound(name: string): never {
  const error = new Error(`Cannot find module '${name}'`) as NodeJS.ErrnoException;
  error.code = 'MODULE_NOT_FOUND';
  throw error;
}
jest.mock('pg', () => moduleNotFound('pg'));
jest.mock('mysql2', () => moduleNotFound('mysql2'));

// Imported after the mocks are registered (jest hoists jest.mock above the imports anyway).
import { createKnexFromUrl } from '../../../src/adapters/sql';

function refusal(url: string, source?: string): DatabaseUrlError {
  try {
    void createKnexFromUrl(url, { source }).destroy();
  } catch (error) {
    if (error instanceof DatabaseUrlError) return error;
    throw error;
  }
  throw new Error(`${url} was accepted`);
}

describe('createKnexFromUrl without the optional driver installed', () => {
  it('names the variable, the URL (without its password) and the package to install for PostgreSQL', () => {
    const error = refusal('postgres://app:s3cret@db.example.com/accounts', 'DATABASE_URL');
    expect(error).toMatchObject({ reason: 'driver-missing', missingPackage: 'pg' });
    expect(error.message).toMatch(
      /^DATABASE_URL is postgres:\/\/app:\*\*\*@db\.example\.com\/accounts: install the `pg` package \(npm install pg\)/,
    );
    expect(error.message).not.toContain('s3cret');
  });

  it('names mysql2 for a mysql:// or mariadb:// URL', () => {
    for (const url of ['mysql://root@127.0.0.1/accounts', 'mariadb://root@127.0.0.1/accounts']) {
      const error = refusal(url);
      expect(error.missingPackage).toBe('mysql2');
      expect(error.message).toContain('the database URL is');
      expect(error.message).toContain('install the `mysql2` package (npm install mysql2)');
    }
  });

  it('still opens SQLite, whose driver is a dependency', async () => {
    const knex = createKnexFromUrl('sqlite::memory:');
    try {
      expect(await knex.raw('select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await knex.destroy();
    }
  });
});
