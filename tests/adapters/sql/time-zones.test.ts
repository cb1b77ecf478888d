import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeEachDb } from '../../support/databases';

const run = promisify(execFile);
const ROOT = join(__dirname, '../../..');

describeEachDb('timestamps', (database) => {
  it('are stored in UTC and read back equal to the millisecond, whatever the process time zone', async () => {
    const { stdout } = await run(
      join(ROOT, 'node_modules/.bin/tsx'),
      [join(__dirname, 'time-zone-child.ts'), database().url],
      { cwd: ROOT, env: { ...process.env, TZ: 'Pacific/Chatham' } },
    );
    const result = JSON.parse(stdout);
    expect(result.offsetMinutes).not.toBe(0);
    expect(result.createdAt).toBe('2030-07-01T23:30:00.123Z');
    expect(result.bannedAt).toBe('2030-01-01T00:00:00.001Z');
    const expectedStored =
      database().kind === 'sqlite' ? String(Date.parse('2030-07-01T23:30:00.123Z')) : '2030-07-01T23:30:00.123';
    expect(result.stored.replace(/000$/, '')).toBe(expectedStored);
  });
});
