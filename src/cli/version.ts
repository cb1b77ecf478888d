import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The version in the package's own package.json, read at run time so it is right whichever way the
 * CLI runs: from the sources (`src/cli`), the build (`dist/src/cli`) or an installed tarball. The
 * nearest package.json named `accounts-module` above this file is the package's.
 */
export function packageVersion(from: string = __dirname): string {
  for (let directory = from; ; directory = dirname(directory)) {
    const candidate = join(directory, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'accounts-module' && typeof manifest.version === 'string') return manifest.version;
    }
    if (dirname(directory) === directory) throw new Error(`no accounts-module package.json above ${from}`);
  }
}
