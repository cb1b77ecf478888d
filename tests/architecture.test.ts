import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The hexagon's walls (README, "A tour of the code"): the domain and the ports speak only to each other. If one of these
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

describe('src/cli', () => {
  const files = sourceFiles(join(ROOT, 'src/cli'));
  /** The files of src/cli each file imports (relative imports inside the folder only). */
  const graph = new Map(
    files.map((file) => [
      file,
      importsOf(file)
        .filter((specifier) => specifier.startsWith('./'))
        .map((specifier) => join(ROOT, 'src/cli', `${specifier.slice(2)}.ts`)),
    ]),
  );

  it('holds the command line, its bin entry first', () => {
    expect(readFileSync(join(ROOT, 'src/cli/main.ts'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it.each(files.map((file) => [relative(ROOT, file), file]))('%s is on no import circle', (_name, start) => {
    const reachable = new Set<string>();
    const pending = [...(graph.get(start) ?? [])];
    while (pending.length > 0) {
      const next = pending.pop() as string;
      if (reachable.has(next)) continue;
      reachable.add(next);
      pending.push(...(graph.get(next) ?? []));
    }
    expect(reachable.has(start)).toBe(false);
  });
});

describe('src', () => {
  const files = sourceFiles(join(ROOT, 'src'));
  /** A relative specifier as the file it names (`./x` → x.ts or x/index.ts); null for a package. */
  const resolveImport = (from: string, specifier: string): string | null => {
    if (!specifier.startsWith('.')) return null;
    const base = resolve(dirname(from), specifier);
    return [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate)) ?? null;
  };
  const graph = new Map(
    files.map((file) => [
      file,
      importsOf(file)
        .map((specifier) => resolveImport(file, specifier))
        .filter((target): target is string => target !== null),
    ]),
  );

  it('resolves the imports it checks', () => {
    expect(graph.get(join(ROOT, 'src/domain/codes.ts'))).toContain(join(ROOT, 'src/domain/context.ts'));
  });

  // A circle means two files are one concept, or a shared type sits in the wrong file (STYLE).
  it.each(files.map((file) => [relative(ROOT, file), file]))('%s is on no import circle', (_name, start) => {
    const reachable = new Set<string>();
    const pending = [...(graph.get(start) ?? [])];
    while (pending.length > 0) {
      const next = pending.pop() as string;
      if (reachable.has(next)) continue;
      reachable.add(next);
      pending.push(...(graph.get(next) ?? []));
    }
    expect(reachable.has(start)).toBe(false);
  });
});
