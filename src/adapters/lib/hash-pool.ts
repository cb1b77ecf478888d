import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * bcrypt off the event loop: a small pool of worker threads running bcryptjs. A bcrypt hash at cost
 * 10 takes tens of milliseconds of pure CPU; on the main thread (even in bcryptjs's async chunks)
 * every other request waits behind it, so a burst of logins made a cheap JWKS fetch take over a
 * second. In workers, the main thread only passes messages.
 *
 * Workers start on first use and are unref'd while idle, so a process that never closes its pool
 * still exits; `close()` ends them in an orderly way.
 */
export interface HashPool {
  hash(input: string, cost: number): Promise<string>;
  compare(input: string, hash: string): Promise<boolean>;
  /** Ends the workers; later calls start new ones. */
  close(): Promise<void>;
}

/** One worker's whole program: requests in, results out, one at a time. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', ({ id, op, input, cost, hash }) => {
  try {
    const result = op === 'hash' ? bcrypt.hashSync(input, cost) : bcrypt.compareSync(input, hash);
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

type Job =
  | { op: 'hash'; input: string; cost: number; hash?: undefined }
  | { op: 'compare'; input: string; hash: string; cost?: undefined };

interface Pending {
  job: Job;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

/** The default number of workers: one core is left to the event loop. */
export function defaultHashWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class WorkerHashPool implements HashPool {
  readonly #size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  #nextId = 0;
  readonly #waiting = new Map<number, { slot: Slot; pending: Pending }>();

  constructor(size: number = defaultHashWorkers()) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`WorkerHashPool: size must be a whole number ≥ 1, got ${size}`);
    this.#size = size;
  }

  hash(input: string, cost: number): Promise<string> {
    return this.#run({ op: 'hash', input, cost }) as Promise<string>;
  }

  compare(input: string, hash: string): Promise<boolean> {
    return this.#run({ op: 'compare', input, hash }) as Promise<boolean>;
  }

  async close(): Promise<void> {
    const slots = this.#slots.splice(0);
    for (const pending of this.#queue.splice(0)) pending.reject(new Error('WorkerHashPool: closed'));
    for (const { slot, pending } of this.#waiting.values()) {
      if (slots.includes(slot)) pending.reject(new Error('WorkerHashPool: closed'));
    }
    this.#waiting.clear();
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #run(job: Job): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const slot = this.#slots.find((candidate) => candidate.busy === null) ?? this.#spawn();
      if (!slot) return;
      const pending = this.#queue.shift()!;
      const id = this.#nextId++;
      slot.busy = pending;
      // Held while it works, so the process waits for a hash in progress; let go once idle.
      slot.worker.ref();
      this.#waiting.set(id, { slot, pending });
      slot.worker.postMessage({ id, ...pending.job });
    }
  }

  #spawn(): Slot | null {
    if (this.#slots.length >= this.#size) return null;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath: require.resolve('bcryptjs') } });
    const slot: Slot = { worker, busy: null };
    worker.on('message', (message: { id: number; result?: string | boolean; error?: string }) => {
      const waiting = this.#waiting.get(message.id);
      if (!waiting) return;
      this.#waiting.delete(message.id);
      slot.busy = null;
      worker.unref();
      if (message.error !== undefined) waiting.pending.reject(new Error(message.error));
      else waiting.pending.resolve(message.result as string | boolean);
      this.#dispatch();
    });
    worker.on('error', (error) => this.#lose(slot, error));
    worker.on('exit', (code) => {
      if (this.#slots.includes(slot)) this.#lose(slot, new Error(`WorkerHashPool: a worker exited (${code})`));
    });
    worker.unref();
    this.#slots.push(slot);
    return slot;
  }

  /** A worker died: its job fails, the others go on, and a new worker takes its place when needed. */
  #lose(slot: Slot, error: Error): void {
    const index = this.#slots.indexOf(slot);
    if (index !== -1) this.#slots.splice(index, 1);
    for (const [id, waiting] of this.#waiting) {
      if (waiting.slot === slot) {
        this.#waiting.delete(id);
        waiting.pending.reject(error);
      }
    }
    this.#dispatch();
  }
}

let shared: { pool: WorkerHashPool; holders: number } | null = null;

/**
 * The process-wide pool `DefaultLib` instances share (an application, or a test suite, may build many
 * of them; the CPU does not grow with them). Each holder gives it back with `release`; the last one
 * ends the workers.
 */
export function acquireSharedHashPool(): { pool: HashPool; release: () => Promise<void> } {
  if (!shared) shared = { pool: new WorkerHashPool(), holders: 0 };
  const entry = shared;
  entry.holders += 1;
  let released = false;
  return {
    pool: entry.pool,
    release: async () => {
      if (released) return;
      released = true;
      entry.holders -= 1;
      if (entry.holders === 0 && shared === entry) {
        shared = null;
        await entry.pool.close();
      }
    },
  };
}
