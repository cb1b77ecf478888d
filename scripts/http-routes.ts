/**
 * Regenerates the routes table of docs/http.md from the OpenAPI document (`openApiDocument()`):
 * `npx tsx scripts/http-routes.ts`. With `--check`, changes nothing and exits 1 if the page is stale
 * (tests/handlers/openapi-docs.test.ts runs the same check).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument, replaceRoutesTable, routesMarkdownTable } from '../src/handlers/openapi';

const page = join(__dirname, '..', 'docs', 'http.md');
const current = readFileSync(page, 'utf8');
const generated = replaceRoutesTable(current, routesMarkdownTable(openApiDocument()));

if (process.argv.includes('--check')) {
  if (generated !== current) {
    console.error(
      'docs/http.md: the routes table differs from the OpenAPI document; run npx tsx scripts/http-routes.ts',
    );
    process.exit(1);
  }
} else if (generated !== current) {
  writeFileSync(page, generated);
  console.log('docs/http.md: routes table regenerated');
}
