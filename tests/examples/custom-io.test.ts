import { TimedIo } from '../../examples/custom-io';
import { MemoryIo } from '../../src/adapters/memory';
import { runIoConformanceTests } from '../../src/testing';
import { makeWorld, signUp } from '../support/setup';

/** How a user validates their own Io: the exported conformance suite, run against it. */
runIoConformanceTests('TimedIo over MemoryIo (examples/custom-io.ts)', {
  create: async () => new TimedIo(new MemoryIo(), () => undefined),
});

it('reports operation names (never arguments) while the services run on it', async () => {
  const operations: string[] = [];
  const world = makeWorld({ io: new TimedIo(new MemoryIo(), (operation) => operations.push(operation)) });
  await signUp(world);
  expect(operations).toEqual(
    expect.arrayContaining(['transaction', 'insertUser', 'insertLoginEmail', 'findSessionWithUser']),
  );
});
