import bcrypt from 'bcryptjs';
import { DefaultLib } from '../../../src/adapters/lib';
import { acquireSharedHashPool, defaultHashWorkers, WorkerHashPool } from '../../../src/adapters/lib/hash-pool';
import { TEST_JWT_SECRET } from '../../support/setup';

/** Password hashing off the event loop (performance issue, part 2). */
describe('WorkerHashPool', () => {
  const pools: WorkerHashPool[] = [];
  const pool = (size = 1) => {
    const created = new WorkerHashPool(size);
    pools.push(created);
    return created;
  };
  afterAll(async () => {
    await Promise.all(pools.map((created) => created.close()));
  });

  it('hashes in a worker what bcryptjs verifies on the main thread, and the other way round', async () => {
    const hashed = await pool().hash('correct horse battery staple', 4);
    expect(bcrypt.compareSync('correct horse battery staple', hashed)).toBe(true);
    const made = bcrypt.hashSync('another one entirely', 4);
    expect(await pool().compare('another one entirely', made)).toBe(true);
    expect(await pool().compare('not it', made)).toBe(false);
  });

  it('runs more jobs than workers, each answered with its own result', async () => {
    const two = pool(2);
    const inputs = Array.from({ length: 8 }, (_, index) => `password number ${index}`);
    const hashes = await Promise.all(inputs.map((input) => two.hash(input, 4)));
    const checks = await Promise.all(hashes.map((hash, index) => two.compare(inputs[(index + 1) % 8]!, hash)));
    expect(checks).toEqual(Array(8).fill(false));
    expect(await Promise.all(hashes.map((hash, index) => two.compare(inputs[index]!, hash)))).toEqual(
      Array(8).fill(true),
    );
  });

  it('reports a job the worker refuses, and keeps serving', async () => {
    const one = pool();
    await expect(one.compare('x', undefined as unknown as string)).rejects.toThrow(/Illegal arguments/);
    expect(bcrypt.compareSync('y', await one.hash('y', 4))).toBe(true);
  });

  it('fails jobs queued at close, and starts afresh when used again', async () => {
    const one = pool();
    const queued = [one.hash('a', 6), one.hash('b', 6)];
    await one.close();
    await expect(Promise.all(queued)).rejects.toThrow(/closed/);
    expect(bcrypt.compareSync('c', await one.hash('c', 4))).toBe(true);
  });

  it('refuses a size that is not a whole number of workers', () => {
    expect(() => new WorkerHashPool(0)).toThrow(RangeError);
    expect(() => new WorkerHashPool(1.5)).toThrow(RangeError);
    expect(defaultHashWorkers()).toBeGreaterThanOrEqual(1);
  });

  it('shares one pool between holders and ends it with the last one', async () => {
    const first = acquireSharedHashPool();
    const second = acquireSharedHashPool();
    expect(second.pool).toBe(first.pool);
    await first.release();
    await first.release(); // twice counts once
    expect(acquireSharedHashPool().pool).toBe(first.pool);
  });
});

describe('DefaultLib password hashing', () => {
  it('never runs bcrypt on the main thread unless told to', async () => {
    const hash = jest.spyOn(bcrypt, 'hash');
    const compare = jest.spyOn(bcrypt, 'compare');
    const lib = new DefaultLib({ tokens: { secret: TEST_JWT_SECRET }, passwords: { bcryptCost: 4 } });
    const stored = await lib.hashPassword('correct horse battery staple');
    expect(await lib.verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await lib.verifyPassword('wrong horse battery staple', stored)).toBe(false);
    expect(hash).not.toHaveBeenCalled();
    expect(compare).not.toHaveBeenCalled();

    const inline = new DefaultLib({ tokens: { secret: TEST_JWT_SECRET }, passwords: { bcryptCost: 4, workers: 0 } });
    expect(await inline.verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(compare).toHaveBeenCalledTimes(1);
    await Promise.all([lib.close(), inline.close()]);
    hash.mockRestore();
    compare.mockRestore();
  });

  it('gives an instance asking for its own workers a pool of its own, ended by close()', async () => {
    const lib = new DefaultLib({ tokens: { secret: TEST_JWT_SECRET }, passwords: { bcryptCost: 4, workers: 1 } });
    const stored = await lib.hashPassword('correct horse battery staple');
    await lib.close();
    expect(await lib.verifyPassword('correct horse battery staple', stored)).toBe(true);
    await lib.close();
    expect(() => new DefaultLib({ tokens: { secret: TEST_JWT_SECRET }, passwords: { workers: -1 } })).toThrow(
      RangeError,
    );
  });
});
