import { Err, type Result } from 'ts-results';
import type { Io } from '../ports/io';
import type { AccountsError } from './errors';

class Rollback {
  constructor(readonly error: AccountsError) {}
}

/** A way to run work in one transaction: `io.transaction`, or `transactWithEvents` over it. */
export type Transact = <R>(work: (tx: Io) => Promise<R>) => Promise<R>;

/**
 * Runs `work` through `transact`; an `Err` result rolls everything back (nothing half-written) and is
 * returned as is. Exceptions roll back and propagate.
 */
export async function rollingBackErr<T>(
  transact: Transact,
  work: (tx: Io) => Promise<Result<T, AccountsError>>,
): Promise<Result<T, AccountsError>> {
  try {
    return await transact(async (tx) => {
      const result = await work(tx);
      if (result.err) throw new Rollback(result.val);
      return result;
    });
  } catch (error) {
    if (error instanceof Rollback) return Err(error.error);
    throw error;
  }
}
