import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument, replaceRoutesTable, routesMarkdownTable } from '../../src/handlers/openapi';

describe('docs/http.md', () => {
  it('lists the routes of the OpenAPI document (regenerate: npx tsx scripts/http-routes.ts)', () => {
    const page = readFileSync(join(__dirname, '..', '..', 'docs', 'http.md'), 'utf8');
    expect(page).toBe(replaceRoutesTable(page, routesMarkdownTable(openApiDocument())));
  });

  it('has a row per operation, with its body fields and success', () => {
    const table = routesMarkdownTable(openApiDocument());
    expect(table).toContain('| POST | /users | anyone | `{ name, email, password? }` | 201 `{ data: User }` |');
    expect(table).toContain('| GET | /.well-known/jwks.json | anyone |  | 200 JsonWebKeySet (bare) |');
    // 37 routes, 6 for organization invitations, 3 for password reset and reauthentication, 2 for events.
    expect(table.split('\n')).toHaveLength(2 + 37 + 6 + 3 + 5 + 2);
  });
});
