import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The package as a user gets it: packed from a clean copy of the sources (so `prepack` must build
 * dist, a stale local build cannot hide a missing step), installed from the tarball into an empty
 * app with npm, then used from CommonJS, ESM, TypeScript (three module resolutions) and its bin.
 */
const ROOT = join(__dirname, '..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const MANIFEST = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
/** What a fresh clone has that packing needs; node_modules is linked from this checkout. */
const SOURCES = [
  'src',
  'db',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'LICENSE',
  'README.md',
  'docs',
];

const execute = promisify(execFile);

async function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  try {
    return await execute(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

const ROUND_TRIP_CJS = `
const { createAccounts, DefaultLib, MemoryIo, Ok } = require('accounts-module');
const testing = require('accounts-module/testing');
const manifest = require('accounts-module/package.json');
(async () => {
  const lib = new DefaultLib({
    tokens: { secret: 'a packaging test secret of 32 bytes' },
    passwords: { bcryptCost: 4 },
    emailer: { send: async () => undefined },
  });
  const accounts = createAccounts({ io: new MemoryIo(), lib });
  const info = { ip: null, userAgent: null };
  const password = 'correct horse battery staple 42';
  const registered = await accounts.users.register({ name: 'Ada', email: 'ada@example.com', password }, info);
  const login = await accounts.sessions.loginWithPassword({ email: 'ada@example.com', password }, info);
  const caller = await accounts.sessions.authenticate(login.val.accessToken);
  console.log(JSON.stringify({
    registered: registered.ok,
    loggedIn: login.ok,
    authenticatedAs: caller.ok && caller.val.id === registered.val.id,
    ok: Ok(1).val,
    conformance: typeof testing.runIoConformanceTests,
    version: manifest.version,
  }));
})();
`;

const IMPORT_ESM = `
import { createAccounts, MemoryIo, Ok, Result } from 'accounts-module';
import { runIoConformanceTests } from 'accounts-module/testing';
import manifest from 'accounts-module/package.json' with { type: 'json' };
console.log(JSON.stringify({
  createAccounts: typeof createAccounts,
  MemoryIo: typeof MemoryIo,
  Ok: typeof Ok,
  Result: typeof Result,
  conformance: typeof runIoConformanceTests,
  version: manifest.version,
}));
`;

/** Compiles only if both entry points resolve with types, `Result` included. */
const TYPED_USE = `
import { type AccountsError, createAccounts, DefaultLib, MemoryIo, Ok, type PublicUser, type Result } from 'accounts-module';
import { runIoConformanceTests } from 'accounts-module/testing';

export const one: Result<number, AccountsError> = Ok(1);
export const build = () =>
  createAccounts({ io: new MemoryIo(), lib: new DefaultLib({ tokens: { secret: 'a type-checking secret of 32 bytes' } }) });
export const suite: typeof runIoConformanceTests = runIoConformanceTests;
export type UserId = PublicUser['id'];
`;

describe('the packed package, installed from its tarball into an empty app', () => {
  let work: string;
  let app: string;
  let tarballFiles: string[];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'accounts-packaging-'));
    const source = join(work, 'source');
    mkdirSync(source);
    for (const entry of SOURCES) cpSync(join(ROOT, entry), join(source, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'), 'dir');
    await run('npm', ['pack', '--pack-destination', work], source);
    const tarball = join(work, readdirSync(work).find((name) => name.endsWith('.tgz')) ?? 'no tarball');
    tarballFiles = (await run('tar', ['-tzf', tarball], work)).stdout.split('\n').filter(Boolean);

    app = join(work, 'app');
    mkdirSync(app);
    // The app gets the better-sqlite3 this checkout built, so its native build can be reused below.
    const sqliteVersion = (
      JSON.parse(readFileSync(join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string }
    ).version;
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', private: true, overrides: { 'better-sqlite3': sqliteVersion } }),
    );
    // --ignore-scripts: compiling better-sqlite3 from source would take minutes; the same version's
    // build from this checkout is copied in instead.
    await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);
    cpSync(join(ROOT, 'node_modules/better-sqlite3/build'), join(app, 'node_modules/better-sqlite3/build'), {
      recursive: true,
    });
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the build, the schema, the licence and the docs its README and TSDoc point at, and no sources or tests', () => {
    for (const file of [
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/testing/index.d.ts',
      'dist/src/cli/main.js',
      'dist/src/adapters/redis/index.js',
      'dist/src/adapters/smtp/index.js',
      'dist/src/metrics/index.js',
    ]) {
      expect(tarballFiles).toContain(`package/${file}`);
    }
    expect(tarballFiles).toEqual(
      expect.arrayContaining([
        'package/LICENSE',
        'package/README.md',
        'package/db/schema.sql',
        'package/docs/security-rules.md',
        'package/docs/http.md',
        'package/docs/frameworks.md',
      ]),
    );
    expect(tarballFiles.filter((file) => /^package\/(src|tests|examples)\//.test(file))).toEqual([]);
    expect(tarballFiles.filter((file) => file.endsWith('.map'))).toEqual([]);
  });

  it('points its README and declarations only at files it ships', () => {
    const installed = join(app, 'node_modules/accounts-module');
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(((?:docs|db|bench|examples)\/[^)#\s]+)/g)].map((match) => match[1]!);
    expect(links.length).toBeGreaterThan(5);
    // bench/ and examples/ live in the repository, not in the package: the README says so where it names them.
    const missing = links.filter((link) => !/^(bench|examples)\//.test(link) && !existsSync(join(installed, link)));
    expect(missing).toEqual([]);
    const declarations = tarballFiles.filter((file) => file.endsWith('.d.ts'));
    const outside = declarations.filter((file) =>
      /SPEC\.md|SPEC §|HTTP\.md|the team's/.test(readFileSync(join(installed, file.replace(/^package\//, '')), 'utf8')),
    );
    expect(outside).toEqual([]);
  });

  it('installs without the optional database drivers', () => {
    expect(existsSync(join(app, 'node_modules/accounts-module'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/pg'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/mysql2'))).toBe(false);
  });

  it('works from CommonJS: registers and logs in on MemoryIo, with testing and package.json', async () => {
    writeFileSync(join(app, 'round-trip.cjs'), ROUND_TRIP_CJS);
    const { stdout } = await run('node', ['round-trip.cjs'], app);
    expect(JSON.parse(stdout)).toEqual({
      registered: true,
      loggedIn: true,
      authenticatedAs: true,
      ok: 1,
      conformance: 'function',
      version: MANIFEST.version,
    });
  });

  it('loads the integrations from their own entry points, the SMTP and Redis ones without their optional peers', async () => {
    const script = `
      const smtp = require('accounts-module/smtp');
      const redis = require('accounts-module/redis');
      let metrics;
      try { require('accounts-module/metrics'); metrics = 'loaded'; } catch (error) { metrics = error.code; }
      console.log(JSON.stringify({
        SmtpEmailer: typeof smtp.SmtpEmailer,
        RedisRateLimitStore: typeof redis.RedisRateLimitStore,
        metrics,
        metricsEntry: require.resolve('accounts-module/metrics').endsWith('dist/src/metrics/index.js'),
      }));`;
    writeFileSync(join(app, 'integrations.cjs'), script);
    const { stdout } = await run('node', ['integrations.cjs'], app);
    // prom-client is the metrics module's whole point: without it the entry point says which module is missing.
    expect(JSON.parse(stdout)).toEqual({
      SmtpEmailer: 'function',
      RedisRateLimitStore: 'function',
      metrics: 'MODULE_NOT_FOUND',
      metricsEntry: true,
    });
  });

  it('works from ESM with named imports of both entry points', async () => {
    writeFileSync(join(app, 'imports.mjs'), IMPORT_ESM);
    const { stdout } = await run('node', ['imports.mjs'], app);
    expect(JSON.parse(stdout)).toEqual({
      createAccounts: 'function',
      MemoryIo: 'function',
      Ok: 'function',
      Result: 'object',
      conformance: 'function',
      version: MANIFEST.version,
    });
  });

  it.each([
    ['node16', 'node16', 'typed.ts'],
    ['node16', 'node16', 'typed.mts'],
    ['esnext', 'bundler', 'typed.ts'],
    ['commonjs', 'node10', 'typed.ts'],
  ])(
    'type-checks under module %s, moduleResolution %s (%s)',
    async (module, moduleResolution, file) => {
      writeFileSync(join(app, file), TYPED_USE);
      const args = [
        '--noEmit',
        '--strict',
        '--target',
        'es2022',
        '--module',
        module,
        '--moduleResolution',
        moduleResolution,
      ];
      // The app's own @types/node, as any Node application has; skipLibCheck off, so the shipped .d.ts are checked too.
      await run('node', [TSC, ...args, '--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), file], app);
    },
    60_000,
  );

  it('runs the accounts-module bin: --version, --help and migrate on a SQLite file', async () => {
    const bin = (...args: string[]) => run('npx', ['--no-install', 'accounts-module', ...args], app);
    expect((await bin('--version')).stdout.trim()).toBe(MANIFEST.version);
    expect((await bin('--help')).stdout).toMatch(/^Usage: accounts-module <command>[\s\S]*migrate[\s\S]*roles/);
    const migrated = await bin('migrate', '--url', './data/app.db');
    expect(migrated.stdout).toMatch(/^Applied \d+ migration\(s\)/);
    expect(existsSync(join(app, 'data/app.db'))).toBe(true);
  }, 60_000);

  it('names the package to install when a PostgreSQL URL meets an app without pg', async () => {
    const failed = await execute('npx', ['--no-install', 'accounts-module', 'migrate'], {
      cwd: app,
      env: { ...process.env, DATABASE_URL: 'postgres://app@127.0.0.1/accounts' },
    }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(
      'DATABASE_URL is postgres://app@127.0.0.1/accounts: install the `pg` package (npm install pg)',
    );
  }, 60_000);
});
