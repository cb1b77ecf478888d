import { randomBytes } from 'node:crypto';
import type { EventOutbox, StoredEvent } from '../ports/outbox';
import type { EventSink } from './sinks';

export interface EventRelayOptions {
  outbox: EventOutbox;
  /** Each event goes to every sink, in this order; it is delivered when all of them took it. */
  sinks: readonly EventSink[];
  /** Names this relay's leases; unique per instance (default: random). */
  owner?: string;
  /** Wait between polls that found nothing; default 1 s. A poll that found events polls again at once. */
  pollIntervalMs?: number;
  /** Events claimed per poll; default 50. */
  batchSize?: number;
  /**
   * How long a claim keeps other relays off its events; default 60 s. It must exceed the longest a
   * batch can take (sinks × timeout, per event): once it runs out another relay may deliver the same
   * event at the same time.
   */
  leaseMs?: number;
  /** Attempts before an event becomes a dead letter; default 10. */
  maxAttempts?: number;
  /** Backoff: full jitter over base × 2^(attempt − 1), capped; defaults 1 s and 10 min. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Injectable for tests. */
  now?: () => Date;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Told about failures of the outbox itself (the relay keeps polling) and of deliveries. */
  onError?: (error: unknown, event?: StoredEvent) => void;
}

/** What one poll did. */
export interface RelayRound {
  claimed: number;
  delivered: number;
  failed: number;
  dead: number;
}

/**
 * Moves events from the outbox to the sinks: claims a batch (leased to this relay), hands each event
 * to every sink in `seq` order outside any transaction, then marks it delivered, or schedules a
 * retry with exponential backoff and full jitter, or, after `maxAttempts`, a dead letter. Delivery is
 * at least once: a crash between a sink's success and the mark means the event goes out again.
 */
export class EventRelay {
  readonly owner: string;
  private readonly options: Required<Omit<EventRelayOptions, 'onError'>> & Pick<EventRelayOptions, 'onError'>;
  private loop: Promise<void> | null = null;
  private abort: AbortController | null = null;
  /** Ends the current wait between polls (`wake`). */
  private wakeup: AbortController | null = null;
  /** A wake-up that came while a poll ran: the next wait is skipped. */
  private woken = false;

  constructor(options: EventRelayOptions) {
    this.owner = options.owner ?? `relay_${randomBytes(6).toString('hex')}`;
    // `??` rather than a spread of defaults: an option passed as `undefined` keeps its default.
    this.options = {
      ...options,
      owner: this.owner,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      batchSize: options.batchSize ?? 50,
      leaseMs: options.leaseMs ?? 60_000,
      maxAttempts: options.maxAttempts ?? 10,
      backoffBaseMs: options.backoffBaseMs ?? 1000,
      backoffCapMs: options.backoffCapMs ?? 600_000,
      now: options.now ?? (() => new Date()),
      sleep: options.sleep ?? abortableSleep,
      random: options.random ?? Math.random,
    };
  }

  get running(): boolean {
    return this.loop !== null;
  }

  /** Starts polling; a second call while running does nothing. */
  start(): void {
    if (this.loop !== null) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.run(abort.signal);
  }

  /** Stops polling; resolves once the batch in hand is finished, so no lease is left behind mid-delivery. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = null;
    this.abort = null;
  }

  /**
   * Polls at once instead of after the rest of its wait: `createAccounts({ events: { delivery:
   * 'relay', onCommitted: () => relay.wake() } })` calls it after every commit that stored events, so
   * a relay in the same process delivers them within a moment rather than a poll interval.
   */
  wake(): void {
    this.woken = true;
    this.wakeup?.abort();
  }

  /** Claims and delivers one batch. */
  async runOnce(): Promise<RelayRound> {
    const { outbox, batchSize, leaseMs, now } = this.options;
    const events = await outbox.claim({ owner: this.owner, limit: batchSize, leaseMs, now: now() });
    const round: RelayRound = { claimed: events.length, delivered: 0, failed: 0, dead: 0 };
    for (const event of events) {
      const outcome = await this.deliver(event);
      round[outcome] += 1;
    }
    return round;
  }

  /** The wait before the next attempt after `attempts` failed ones (full jitter, AWS architecture blog). */
  backoffMs(attempts: number): number {
    const { backoffBaseMs, backoffCapMs, random } = this.options;
    const ceiling = Math.min(backoffCapMs, backoffBaseMs * 2 ** Math.max(0, attempts - 1));
    return Math.floor(random() * ceiling);
  }

  private async deliver(event: StoredEvent): Promise<'delivered' | 'failed' | 'dead'> {
    const { outbox, sinks, now, maxAttempts, onError } = this.options;
    try {
      for (const sink of sinks) await sink.deliver(event);
    } catch (error) {
      onError?.(error, event);
      const message = describe(error);
      const at = now();
      if (event.attempts >= maxAttempts) {
        await outbox.markFailed(event.id, this.owner, { dead: true, error: message, at });
        return 'dead';
      }
      const nextAttemptAt = new Date(at.getTime() + this.backoffMs(event.attempts));
      await outbox.markFailed(event.id, this.owner, { error: message, nextAttemptAt });
      return 'failed';
    }
    await outbox.markDelivered([event.id], this.owner, now());
    return 'delivered';
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { pollIntervalMs, sleep, onError } = this.options;
    while (!signal.aborted) {
      let claimed = 0;
      try {
        claimed = (await this.runOnce()).claimed;
      } catch (error) {
        // The outbox is unreachable: keep polling, the events wait in the table.
        onError?.(error);
      }
      if (claimed > 0 || signal.aborted) continue;
      if (this.woken) {
        this.woken = false;
        continue;
      }
      const wakeup = new AbortController();
      this.wakeup = wakeup;
      const stopOrWake = AbortSignal.any([signal, wakeup.signal]);
      await sleep(pollIntervalMs, stopOrWake).catch(() => undefined);
      this.wakeup = null;
      this.woken = false;
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
