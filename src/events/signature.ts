import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures as Standard Webhooks (standardwebhooks.com) defines them, so receivers can use
 * its libraries or the few lines of docs/events.md: `Webhook-Signature: v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">`, the timestamp in whole seconds since the epoch. A secret of the form
 * `whsec_<base64>` is the key those bytes decode to (the Standard Webhooks form); any other string is
 * used as its UTF-8 bytes.
 */
export function webhookKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret);
}

/** The `Webhook-Signature` header value for one delivery. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${hmac(secret, id, timestamp, body).toString('base64')}`;
}

export interface VerifyWebhookOptions {
  secret: string;
  /** The `Webhook-Id` header. */
  id: string;
  /** The `Webhook-Timestamp` header (seconds), as received. */
  timestamp: string | number;
  /** The raw request body, exactly as received (before any JSON parsing). */
  body: string;
  /** The `Webhook-Signature` header: one or more space-separated `v1,<base64>`. */
  signature: string;
  /** How far the timestamp may be from now, in seconds (default 300), which bounds replays. */
  toleranceSeconds?: number;
  /** For tests; default `Date.now()`. */
  nowMs?: number;
}

/**
 * Whether a webhook request is one this library signed with `secret`, recently. The comparison is
 * constant-time, and a timestamp outside the tolerance is refused even with a valid signature: a
 * captured request cannot be replayed later.
 */
export function verifyWebhookSignature(options: VerifyWebhookOptions): boolean {
  const { secret, id, body, signature } = options;
  const toleranceSeconds = options.toleranceSeconds ?? 300;
  const timestamp = typeof options.timestamp === 'number' ? options.timestamp : Number(options.timestamp);
  if (!Number.isInteger(timestamp) || String(timestamp) !== String(options.timestamp).trim()) return false;
  const nowSeconds = Math.floor((options.nowMs ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = hmac(secret, id, timestamp, body);
  let matched = false;
  // Several signatures let a sender rotate its secret; each is compared in full, none short-circuits.
  for (const candidate of signature.split(' ')) {
    const [version, encoded] = candidate.split(',', 2);
    if (version !== 'v1' || encoded === undefined) continue;
    const received = Buffer.from(encoded, 'base64');
    if (received.length === expected.length && timingSafeEqual(received, expected)) matched = true;
  }
  return matched;
}

function hmac(secret: string, id: string, timestamp: number, body: string): Buffer {
  return createHmac('sha256', webhookKey(secret)).update(`${id}.${timestamp}.${body}`).digest();
}
