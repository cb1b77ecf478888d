import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The hexagon's walls (SPEC §1): the domain and the ports speak only to each other. If one of these
 * fails, a driver or adapter detail leaked into the core.
 */
const ROOT = join(__dirname, '..');
const FORBIDDEN_MODULES = [
  'knex',
  'mysql2',
  'pg',
  'better-sqlite3',
  'bcryptjs',
  'jsonwebtoken',
  'nanoid',
  'node:crypto',
  'crypto',
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

describe.each(['src/domain', 'src/ports'])('%s', (folder) => {
  const files = sourceFiles(join(ROOT, folder));

  it('has source files', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files.map((file) => [relative(ROOT, file), file]))(
    '%s imports no adapter, handler, driver or crypto module',
    (_name, file) => {
      for (const specifier of importsOf(file)) {
        expect(FORBIDDEN_MODULES).not.toContain(specifier);
        expect(FORBIDDEN_MODULES.some((module) => specifier.startsWith(`${module}/`))).toBe(false);
        expect(specifier).not.toMatch(/(^|\/)(adapters|handlers)(\/|$)/);
      }
    },
  );

  it.each(files.map((file) => [relative(ROOT, file), file]))('%s does not read process.env', (_name, file) => {
    expect(readFileSync(file, 'utf8')).not.toMatch(/process\.env/);
  });
});
