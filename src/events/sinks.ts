import { toAccountsEvent } from '../ports/event-record';
import type { AccountsEvent } from '../ports/events';
import type { StoredEvent } from '../ports/outbox';
import { signWebhook } from './signature';

/**
 * Where a relay hands events. `deliver` resolves when the event is safely received and throws
 * otherwise; the relay then retries the event later, on every sink again (receivers deduplicate on
 * the event `id`: delivery is at least once).
 */
export interface EventSink {
  readonly name: string;
  deliver(event: StoredEvent): Promise<void>;
}

/** A sink calling a function with the stored event. */
export function functionSink(deliver: (event: StoredEvent) => void | Promise<void>, name = 'function'): EventSink {
  return { name, deliver: async (event) => deliver(event) };
}

/** A sink calling `Lib.onEvent` (or any such hook) with the domain event the record was made from. */
export function onEventSink(onEvent: (event: AccountsEvent) => void | Promise<void>, name = 'onEvent'): EventSink {
  return { name, deliver: async (event) => onEvent(toAccountsEvent(event)) };
}

/** The JSON a webhook receives. */
export interface WebhookBody {
  id: string;
  type: string;
  /** ISO 8601. */
  at: string;
  actor: StoredEvent['actor'];
  subjects: StoredEvent['subjects'];
  payload: StoredEvent['payload'];
}

export function webhookBody(event: StoredEvent): WebhookBody {
  const { id, type, at, actor, subjects, payload } = event;
  return { id, type, at: at.toISOString(), actor, subjects, payload };
}

export interface WebhookSinkOptions {
  url: string;
  /** The signing secret, shared with the receiver (`whsec_<base64>` or any string). */
  secret: string;
  /** Per request; default 10 s. Keep the relay's lease well above it. */
  timeoutMs?: number;
  /** Default: node's global `fetch`. */
  fetch?: typeof fetch;
  /** For tests; default `Date.now`. */
  nowMs?: () => number;
  name?: string;
}

/** A webhook answered with a status outside 2xx. */
export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';
  constructor(readonly status: number) {
    super(`webhook answered HTTP ${status}`);
  }
}

/**
 * POSTs each event as JSON, signed the Standard Webhooks way (`Webhook-Id`, `Webhook-Timestamp`,
 * `Webhook-Signature`; see docs/events.md). Any status outside 2xx, a timeout or a network error is a
 * failure. Redirects are not followed: a signed event goes only where it was configured to go.
 */
export class WebhookSink implements EventSink {
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly nowMs: () => number;

  constructor(private readonly options: WebhookSinkOptions) {
    this.name = options.name ?? `webhook ${new URL(options.url).host}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? fetch;
    this.nowMs = options.nowMs ?? Date.now;
  }

  async deliver(event: StoredEvent): Promise<void> {
    const body = JSON.stringify(webhookBody(event));
    const timestamp = Math.floor(this.nowMs() / 1000);
    const response = await this.fetch(this.options.url, {
      method: 'POST',
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'webhook-id': event.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(this.options.secret, event.id, timestamp, body),
      },
    });
    // Read to the end so the connection goes back to the pool.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status < 200 || response.status > 299) throw new WebhookDeliveryError(response.status);
  }
}
