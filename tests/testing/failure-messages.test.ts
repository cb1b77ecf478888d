import { AssertionError } from 'node:assert';
import { MemoryIo } from '../../src/adapters/memory';
import type { User } from '../../src/ports/entities';
import { makeUser, runIoConformanceTests } from '../../src/testing';
import { assertSame } from '../../src/testing/io-conformance/assert-same';
import { JestStyleRecorder } from './recording-runner';

/** Consumes a code as many times as it is asked: the single-use race the suite exists to catch. */
class ReusableCodesIo extends MemoryIo {
  override async consumeCode(id: string, at: Date): Promise<boolean> {
    await super.consumeCode(id, at);
    return true;
  }
}

/** Answers users made by `structuredClone`, whose prototypes belong to Node's realm, not Jest's. */
class ClonedUsersIo extends MemoryIo {
  override async findUserById(id: string): Promise<User | null> {
    return structuredClone(await super.findUserById(id));
  }
}

async function failuresAgainst(io: MemoryIo): Promise<Map<string, unknown>> {
  const recorder = new JestStyleRecorder();
  runIoConformanceTests('under test', { create: async () => io, test: recorder });
  return recorder.runAll();
}

describe('the conformance suite on an Io that breaks the port', () => {
  it('fails the tests of the broken method with a message naming what the Io did wrong', async () => {
    const failures = await failuresAgainst(new ReusableCodesIo());
    const reused = failures.get(
      'Io conformance: under test › verification codes › consumes a code once, after which it is no longer usable',
    );
    expect(reused).toBeInstanceOf(AssertionError);
    expect((reused as Error).message).toMatch(/^consumeCode answered true twice for one code/);
    expect(
      (
        failures.get(
          'Io conformance: under test › concurrency › lets exactly one of 20 parallel consumers consume a code',
        ) as Error
      ).message,
    ).toMatch(/^consumeCode did not answer true to exactly one of 20 parallel calls/);
    expect(failures.size).toBeGreaterThan(1);
    expect([...failures.keys()].every((name) => !name.includes('› users ›'))).toBe(true);
  });

  it('accepts rows made in another realm, as Jest’s toStrictEqual did', async () => {
    const failures = await failuresAgainst(new ClonedUsersIo());
    expect([...failures.keys()]).toEqual([]);
  });
});

describe('assertSame', () => {
  const user = makeUser();

  it('still fails on a field that differs, across realms', () => {
    expect(() => assertSame(structuredClone(user), { ...user, name: 'Other' }, 'the names differ')).toThrow(
      /^the names differ/,
    );
    expect(() => assertSame([structuredClone(user.createdAt)], [new Date(0)], 'the dates differ')).toThrow(
      /^the dates differ/,
    );
  });

  it('still tells a missing field from one set to undefined, and a class instance from a plain object', () => {
    expect(() => assertSame({ a: 1 }, { a: 1, b: undefined }, 'a field is missing')).toThrow(/^a field is missing/);
    class Row {
      a = 1;
    }
    expect(() => assertSame(new Row(), { a: 1 }, 'not a plain object')).toThrow(/^not a plain object/);
  });
});
