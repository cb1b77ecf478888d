/**
 * A clock that moves only when told: `new DefaultLib({ clock: () => clock.now(), ... })` lets tests
 * expire codes, tokens and sessions without waiting.
 */
export class ManualClock {
  private current: number;

  /** Starts at `start` (default 2026-01-01T00:00:00Z, so runs are reproducible). */
  constructor(start: Date | number | string = '2026-01-01T00:00:00.000Z') {
    this.current = toMillis(start);
  }

  /** The current time, as a new `Date` each call (callers may mutate it safely). */
  now(): Date {
    return new Date(this.current);
  }

  /** Moves the clock forward by `ms` (backwards if negative) and returns the new time. */
  advance(ms: number): Date {
    if (!Number.isFinite(ms)) throw new RangeError('ManualClock.advance: ms must be a finite number');
    this.current += ms;
    return this.now();
  }

  /** Sets the clock to `date`. */
  set(date: Date | number | string): void {
    this.current = toMillis(date);
  }
}

function toMillis(value: Date | number | string): number {
  const millis = new Date(value).getTime();
  if (Number.isNaN(millis)) throw new RangeError(`ManualClock: invalid date ${String(value)}`);
  return millis;
}
