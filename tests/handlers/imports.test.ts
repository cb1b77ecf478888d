import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** SPEC §1: the handlers are framework-neutral, so they import no framework (node:http is Node itself). */
const HANDLERS = join(__dirname, '..', '..', 'src', 'handlers');
const files = readdirSync(HANDLERS).filter((name) => name.endsWith('.ts'));

describe('src/handlers', () => {
  it.each(files)('%s imports only Node, ts-results and the library itself', (file) => {
    const source = readFileSync(join(HANDLERS, file), 'utf8');
    const specifiers = [...source.matchAll(/from\s+'([^']+)'/g)].map((match) => match[1]);
    for (const specifier of specifiers) {
      expect(specifier).toMatch(/^(node:|ts-results$|\.\/|\.\.\/(domain|ports)\/)/);
    }
  });

  it('does not read process.env', () => {
    for (const file of files) expect(readFileSync(join(HANDLERS, file), 'utf8')).not.toMatch(/process\.env/);
  });
});
