import type { AccountsEvent } from '../ports/events';
import type { Io } from '../ports/io';
import type { CodeMessage } from '../ports/lib';
import { type EventDeps, publishEvents } from './event-log';

/** What sending codes needs: the `Lib` that sends, and where a failed delivery is recorded. */
export type DeliveryDeps = EventDeps & { io: Io };

/**
 * Sends prepared codes. A failed delivery is reported as an event rather than failing the request:
 * the code is stored and the person can ask for another one.
 */
export async function deliverCodes(deps: DeliveryDeps, messages: Array<CodeMessage | null>): Promise<void> {
  const { lib } = deps;
  for (const message of messages) {
    if (!message) continue;
    try {
      await lib.sendCode(message);
    } catch {
      const failed: AccountsEvent = {
        type: 'email.delivery_failed',
        at: lib.now(),
        address: message.to,
        purpose: message.purpose,
      };
      // The code is stored whatever happens here: an outbox that is down too must not fail the request.
      await publishEvents(deps, {}, [failed]).catch(() => undefined);
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
  start(deps: DeliveryDeps, recipients: RecipientCheck): void {
    const delivery: Promise<void> = recipients()
      .then((messages) => deliverCodes(deps, messages))
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
  deps: DeliveryDeps & { pendingDeliveries?: PendingDeliveries },
  recipients: RecipientCheck,
): Promise<void> {
  if (deps.pendingDeliveries) deps.pendingDeliveries.start(deps, recipients);
  else await deliverCodes(deps, await recipients());
}
