import type { Io } from '../../src/ports/io';

/** When an armed method fails: instead of running (`before`), or once it ran, before it returns (`after`). */
export type FaultTiming = 'before' | 'after';

export interface FaultOptions {
  timing?: FaultTiming;
  error?: Error;
  /**
   * Runs inside the transaction just before the fault is thrown (with `after`: once the real call
   * ran), e.g. to look at the database from another connection while the transaction is still open.
   */
  beforeThrow?: () => Promise<void>;
}

export interface FaultyIo {
  /** The wrapped Io: give it to `createAccounts`. Outside transactions it is the Io as it is. */
  io: Io;
  /** Makes every call of `method` on a transaction-bound Io fail from now on (until `heal`). */
  failInTransaction(method: keyof Io, options?: FaultOptions): void;
  heal(): void;
  /** The calls made on transaction-bound Ios, in order, with their arguments. */
  readonly calls: Array<{ method: string; args: unknown[] }>;
  /** How many faults were thrown so far. */
  readonly thrown: number;
}

/**
 * Wraps an Io so that a chosen method fails only inside transactions (the transaction-bound Io
 * `transaction(work)` hands to `work`), where the domain makes a change and records its events:
 * proves that a failure after the events were recorded, or while they are appended, rolls back the
 * change and its events together. Unlike `failingIo` (tests/support/setup.ts), calls outside a
 * transaction go through untouched, so the test can set up and inspect through the same Io.
 */
export function faultyTransactions(io: Io): FaultyIo {
  let fault: { method: keyof Io; options: FaultOptions } | null = null;
  const calls: Array<{ method: string; args: unknown[] }> = [];
  let thrown = 0;

  // One proxy per transaction-bound Io, so a joined transaction hands on the very Io it joined (the
  // event log of `transactWithEvents` is keyed on it).
  const proxies = new WeakMap<Io, Io>();
  const bound = (tx: Io): Io => {
    const known = proxies.get(tx);
    if (known !== undefined) return known;
    const proxy = new Proxy(tx, {
      get(object, property, receiver) {
        if (property === 'transaction') {
          // A nested transaction joins the outer one: its Io is transaction-bound too.
          return <T>(work: (inner: Io) => Promise<T>) => object.transaction((inner) => work(bound(inner)));
        }
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        const method = String(property);
        return async (...args: unknown[]) => {
          calls.push({ method, args });
          const armed = fault !== null && fault.method === property ? fault.options : null;
          if (armed === null) return value.apply(object, args);
          const error = armed.error ?? new Error(`injected failure of ${method}`);
          if ((armed.timing ?? 'before') === 'after') await value.apply(object, args);
          await armed.beforeThrow?.();
          thrown += 1;
          throw error;
        };
      },
    });
    proxies.set(tx, proxy);
    return proxy;
  };

  const outer = new Proxy(io, {
    get(object, property, receiver) {
      if (property === 'transaction') {
        return <T>(work: (tx: Io) => Promise<T>) => object.transaction((tx) => work(bound(tx)));
      }
      const value = Reflect.get(object, property, receiver);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });

  return {
    io: outer,
    failInTransaction(method, options = {}) {
      fault = { method, options };
    },
    heal() {
      fault = null;
    },
    calls,
    get thrown() {
      return thrown;
    },
  };
}
