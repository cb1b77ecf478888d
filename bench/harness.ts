/**
 * The measuring harness of `npm run bench`: closed loops at a fixed concurrency, every operation
 * issued after a `setImmediate` hop (as a request read from a socket would be), cases interleaved in
 * short slices (A B C A B C …) so that drift of the machine hits every case alike, errors counted
 * apart from completions, and p50/p99 of the completions beside their rate.
 */
import { setImmediate as hop } from 'node:timers/promises';

/** What one operation reports: nothing (or null) when it completed, else an error code. */
export type Outcome = string | null | undefined;

/** Loops that run beside a case's measured loops for the whole of each of its slices (a load). */
export interface Load {
  label: string;
  loops: number;
  op: () => Promise<Outcome>;
}

export interface CaseSpec {
  id: string;
  label: string;
  op: () => Promise<Outcome>;
  /** Operations in flight at once; default `HarnessOptions.concurrency`. */
  concurrency?: number;
  load?: Load;
}

export interface Tally {
  completed: number;
  errors: number;
  /** Errors by code; exceptions as `thrown <name>`. */
  errorCodes: Record<string, number>;
  /** The first exception's message, to tell a broken case from a slow one. */
  firstException?: string;
  seconds: number;
}

export interface Measurement extends Tally {
  id: string;
  label: string;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** The load's own rate, when the case ran one. */
  load?: Tally & { label: string; opsPerSec: number };
}

export interface HarnessOptions {
  concurrency: number;
  /** Measured time per case, in all of its slices. */
  seconds: number;
  sliceMs: number;
  /** One unmeasured slice of each case before the first measured round. */
  warmupMs: number;
  /** A load starts this long before the measured loops of its case, so that they meet it running. */
  loadLeadMs?: number;
  progress?: (message: string) => void;
}

function newTally(): Tally {
  return { completed: 0, errors: 0, errorCodes: {}, seconds: 0 };
}

function countError(tally: Tally, code: string): void {
  tally.errors += 1;
  tally.errorCodes[code] = (tally.errorCodes[code] ?? 0) + 1;
}

async function runOnce(op: () => Promise<Outcome>, tally: Tally): Promise<boolean> {
  try {
    const outcome = await op();
    if (outcome === null || outcome === undefined) return true;
    countError(tally, outcome);
  } catch (error) {
    const name = error instanceof Error ? error.name : typeof error;
    countError(tally, `thrown ${name}`);
    tally.firstException ??= error instanceof Error ? error.message.slice(0, 300) : String(error);
  }
  return false;
}

/**
 * `concurrency` loops issue operations until `until`; each records its latency (hop included) into
 * `latencies` when the operation completed. Resolves when the last operation in flight has ended.
 */
async function closedLoop(
  op: () => Promise<Outcome>,
  concurrency: number,
  until: () => boolean,
  tally: Tally,
  latencies: number[] | null,
): Promise<void> {
  const loop = async () => {
    while (!until()) {
      const started = performance.now();
      await hop();
      const completed = await runOnce(op, tally);
      if (completed) {
        tally.completed += 1;
        latencies?.push(performance.now() - started);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

interface Running {
  spec: CaseSpec;
  tally: Tally;
  latencies: number[];
  load: Tally;
}

async function slice(running: Running | null, spec: CaseSpec, ms: number, options: HarnessOptions): Promise<void> {
  const concurrency = spec.concurrency ?? options.concurrency;
  const discard = { tally: newTally(), latencies: null, load: newTally() };
  const into = running ?? discard;
  let loadDone = false;
  let loadRun: Promise<void> | null = null;
  let loadStarted = 0;
  if (spec.load) {
    loadStarted = performance.now();
    loadRun = closedLoop(spec.load.op, spec.load.loops, () => loadDone, into.load, null);
    await new Promise((resolve) => setTimeout(resolve, options.loadLeadMs ?? 50));
  }
  const started = performance.now();
  const end = started + ms;
  await closedLoop(spec.op, concurrency, () => performance.now() >= end, into.tally, into.latencies);
  // The drain (operations in flight at the end) is counted in, time and completions both.
  into.tally.seconds += (performance.now() - started) / 1000;
  if (loadRun) {
    loadDone = true;
    await loadRun;
    into.load.seconds += (performance.now() - loadStarted) / 1000;
  }
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

/**
 * Measures every case, interleaved: one warm-up slice of each, then rounds in which every case runs
 * one slice, in the same order, until each has had `seconds` of slices.
 */
export async function measureInterleaved(cases: CaseSpec[], options: HarnessOptions): Promise<Measurement[]> {
  const log = options.progress ?? (() => undefined);
  for (const spec of cases) {
    log(`warm-up ${spec.id}`);
    await slice(null, spec, options.warmupMs, options);
  }
  const running: Running[] = cases.map((spec) => ({ spec, tally: newTally(), latencies: [], load: newTally() }));
  const rounds = Math.max(1, Math.ceil((options.seconds * 1000) / options.sliceMs));
  for (let round = 1; round <= rounds; round++) {
    log(`round ${round}/${rounds} of ${cases.map((c) => c.id).join(', ')}`);
    for (const entry of running) await slice(entry, entry.spec, options.sliceMs, options);
  }
  return running.map(({ spec, tally, latencies, load }) => {
    const sorted = latencies.sort((a, b) => a - b);
    const measurement: Measurement = {
      id: spec.id,
      label: spec.label,
      ...tally,
      opsPerSec: tally.completed / tally.seconds,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
    };
    if (spec.load) {
      measurement.load = { label: spec.load.label, ...load, opsPerSec: load.completed / load.seconds };
    }
    return measurement;
  });
}

/** The code of a ts-results `Result` that failed, null for one that succeeded. */
export function errorCodeOf(result: { err: boolean; val: unknown }): Outcome {
  return result.err ? ((result.val as { code?: string }).code ?? 'ERR') : null;
}

/** A round-robin cursor over a list. */
export function cycle<T>(items: readonly T[]): () => T {
  if (items.length === 0) throw new Error('cycle: nothing to cycle over');
  let next = 0;
  return () => {
    const item = items[next]!;
    next = (next + 1) % items.length;
    return item;
  };
}
