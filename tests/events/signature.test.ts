import { createHmac } from 'node:crypto';
import { MemoryEventOutbox } from '../../src/adapters/memory/memory-event-outbox';
import { signWebhook, verifyWebhookSignature, WebhookDeliveryError, WebhookSink } from '../../src/events';
import { record } from './outbox-contract';

const SECRET = `whsec_${Buffer.from('a 32-byte secret for the tests!!').toString('base64')}`;

/** The recipe of docs/events.md, written as a receiver would, with node:crypto only. */
function receiverAccepts(headers: Record<string, string>, body: string, nowSeconds: number): boolean {
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const timestamp = Number(headers['webhook-timestamp']);
  if (Math.abs(nowSeconds - timestamp) > 300) return false;
  const expected = createHmac('sha256', key)
    .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`)
    .digest('base64');
  return headers['webhook-signature'].split(' ').includes(`v1,${expected}`);
}

async function capture(nowMs = 1_764_669_600_000) {
  const outbox = new MemoryEventOutbox();
  const event = record({ userId: 'usr_1' }, { type: 'password.changed', payload: { note: 'é ✓' } });
  await outbox.append([event]);
  const [stored] = await outbox.list({ limit: 1 });
  const requests: Array<{ url: string; init: RequestInit }> = [];
  const sink = new WebhookSink({
    url: 'https://hooks.example.com/accounts',
    secret: SECRET,
    nowMs: () => nowMs,
    fetch: async (url, init) => {
      requests.push({ url: String(url), init: init as RequestInit });
      return new Response(null, { status: 204 });
    },
  });
  await sink.deliver(stored);
  const { init } = requests[0];
  return { stored, headers: init.headers as Record<string, string>, body: String(init.body), init, nowMs };
}

describe('webhook signatures', () => {
  it('sends the event as JSON with Standard Webhooks headers', async () => {
    const { stored, headers, body, init } = await capture();
    expect(init.method).toBe('POST');
    expect(init.redirect).toBe('manual');
    expect(init.signal).toBeInstanceOf(AbortSignal);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-id']).toBe(stored.id);
    expect(headers['webhook-timestamp']).toBe('1764669600');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(body)).toEqual({
      id: stored.id,
      type: 'password.changed',
      at: stored.at.toISOString(),
      actor: stored.actor,
      subjects: stored.subjects,
      payload: { note: 'é ✓' },
    });
  });

  it('verifies as a receiver recomputing it with node:crypto, and with verifyWebhookSignature', async () => {
    const { headers, body, nowMs } = await capture();
    expect(receiverAccepts(headers, body, nowMs / 1000)).toBe(true);
    const verify = (overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]> = {}) =>
      verifyWebhookSignature({
        secret: SECRET,
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        body,
        signature: headers['webhook-signature'],
        nowMs,
        ...overrides,
      });
    expect(verify()).toBe(true);
    expect(verify({ signature: `v1,bm90IGl0 ${headers['webhook-signature']}` })).toBe(true);
    expect(verify({ body: body.replace('password.changed', 'password.reset') })).toBe(false);
    expect(verify({ timestamp: String(Number(headers['webhook-timestamp']) + 1) })).toBe(false);
    expect(verify({ id: 'evt_other' })).toBe(false);
    expect(verify({ secret: 'whsec_b3RoZXI=' })).toBe(false);
    expect(verify({ signature: headers['webhook-signature'].replace('v1,', 'v2,') })).toBe(false);
    expect(verify({ signature: 'v1,' })).toBe(false);
    expect(verify({ timestamp: '1764669600.5' })).toBe(false);
  });

  it('refuses an old or future timestamp even with a valid signature', async () => {
    const { headers, body, nowMs } = await capture();
    const input = {
      secret: SECRET,
      id: headers['webhook-id'],
      timestamp: headers['webhook-timestamp'],
      body,
      signature: headers['webhook-signature'],
    };
    expect(verifyWebhookSignature({ ...input, nowMs: nowMs + 300_000 })).toBe(true);
    expect(verifyWebhookSignature({ ...input, nowMs: nowMs + 301_000 })).toBe(false);
    expect(verifyWebhookSignature({ ...input, nowMs: nowMs - 301_000 })).toBe(false);
    expect(verifyWebhookSignature({ ...input, nowMs: nowMs + 3_000, toleranceSeconds: 2 })).toBe(false);
  });

  it('uses a secret without the whsec_ prefix as its UTF-8 bytes', () => {
    const expected = createHmac('sha256', 'plain secret').update('evt_1.100.{}').digest('base64');
    expect(signWebhook('plain secret', 'evt_1', 100, '{}')).toBe(`v1,${expected}`);
  });

  it('counts a non-2xx answer as a failure', async () => {
    const outbox = new MemoryEventOutbox();
    await outbox.append([record({ userId: 'u1' })]);
    const [stored] = await outbox.list({ limit: 1 });
    for (const status of [301, 404, 500]) {
      const sink = new WebhookSink({
        url: 'https://hooks.example.com/',
        secret: SECRET,
        fetch: async () => new Response('no', { status }),
      });
      await expect(sink.deliver(stored)).rejects.toEqual(new WebhookDeliveryError(status));
    }
  });
});
