/**
 * A first-come, first-served lock. `tryLock` succeeds synchronously when the lock is free, so an
 * uncontended operation on the in-memory `Io` runs within the call that started it.
 */
export class Mutex {
  #locked = false;
  readonly #waiting: Array<() => void> = [];

  tryLock(): boolean {
    if (this.#locked) return false;
    this.#locked = true;
    return true;
  }

  lock(): Promise<void> {
    if (this.tryLock()) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  unlock(): void {
    const next = this.#waiting.shift();
    // Handing the lock straight to the next waiter keeps late callers from overtaking it.
    if (next) next();
    else this.#locked = false;
  }
}
