import type { CodeMessage, Lib } from '../ports/lib';
import { emit } from './emit';

/**
 * Sends prepared codes. A failed delivery is reported as an event rather than failing the request:
 * the code is stored and the person can ask for another one.
 */
export async function deliverCodes(lib: Lib, messages: Array<CodeMessage | null>): Promise<void> {
  for (const message of messages) {
    if (!message) continue;
    try {
      await lib.sendCode(message);
    } catch {
      emit(lib, { type: 'email.delivery_failed', at: lib.now(), address: message.to, purpose: message.purpose });
    }
  }
}

/** Decides, after the answer, which prepared code emails go out (none for an unknown address). */
export type RecipientCheck = () => Promise<Array<CodeMessage | null>>;

/**
 * Code emails that are sent after the answer rather than before it. The endpoints that must not reveal
 * whether an address exists (a login-code request, a verification resend) store a code for every
 * address and answer; only then is it looked up whether the address is one to send to, and the email
 * sent. Looking it up or waiting for a mail transport before answering would make their timing tell
 * the two apart (docs/security-rules.md §4).
 */
export class PendingDeliveries {
  private readonly inFlight = new Set<Promise<void>>();

  /**
   * Starts the check and the deliveries it yields, and returns at once; a failed delivery becomes an
   * `email.delivery_failed` event, a failed check (the database gone) is dropped like an unsent email.
   */
  start(lib: Lib, recipients: RecipientCheck): void {
    const delivery: Promise<void> = recipients()
      .then((messages) => deliverCodes(lib, messages))
      .catch(() => undefined)
      .finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  /** How many deliveries have not finished yet. */
  get pending(): number {
    return this.inFlight.size;
  }

  /**
   * Resolves once every delivery started so far (and any started meanwhile) has finished, or once
   * `timeoutMs` has passed: true when nothing is left in flight.
   */
  async settled(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const allDone = (async () => {
      while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    })();
    if (timeoutMs === Number.POSITIVE_INFINITY) {
      await allDone;
      return true;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await Promise.race([allDone, timedOut]);
    } finally {
      clearTimeout(timer);
    }
    return this.inFlight.size === 0;
  }
}

/**
 * Checks the recipients and delivers in the background when the services share `PendingDeliveries`
 * (as `Accounts` does), else inline before returning.
 */
export async function deliverAfterAnswer(
  deps: { lib: Lib; pendingDeliveries?: PendingDeliveries },
  recipients: RecipientCheck,
): Promise<void> {
  if (deps.pendingDeliveries) deps.pendingDeliveries.start(deps.lib, recipients);
  else await deliverCodes(deps.lib, await recipients());
}
