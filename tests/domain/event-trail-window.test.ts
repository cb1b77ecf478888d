import { FILTER_WINDOW } from '../../src/domain/event-trail';
import type { EventRecord } from '../../src/ports/outbox';
import { organizationCast } from '../support/org-fixtures';
import { ok } from '../support/setup';

/**
 * A filtered page reads a bounded window of the subject's events (found by a review: a filter that
 * matched nothing read the whole trail, so one request's cost grew with the trail).
 */
describe('filtered event pages read a bounded window', () => {
  it('answers short or empty pages with a cursor until the matching event, never more than the window per page', async () => {
    const cast = await organizationCast();
    const { world, organization, admin } = cast;
    let sequence = 0;
    const event = (type: string): EventRecord => {
      sequence += 1;
      return eventNumbered(type, sequence);
    };
    const eventNumbered = (type: string, number: number): EventRecord => ({
      id: `evt_window${number}`,
      type,
      at: world.clock.now(),
      actor: { userId: null, clientId: null, ip: null },
      subjects: { userId: null, organizationId: organization.id, clientId: null, sessionId: null },
      payload: {},
    });
    await world.io.appendEvents(Array.from({ length: FILTER_WINDOW + 5 }, () => event('client.updated')));
    const needle = event('client.rotated');
    await world.io.appendEvents([needle]);

    let reads = 0;
    const list = world.io.listEvents.bind(world.io);
    world.io.listEvents = async (query) => {
      reads += 1;
      expect(query.limit).toBeLessThanOrEqual(FILTER_WINDOW + 1);
      expect(query.types).toBeUndefined();
      return list(query);
    };
    const found: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 5; pages++) {
      const page = ok<{ data: Array<{ id: string }>; nextCursor: string | null }>(
        await world.accounts.events.listOrganizationEvents(admin, organization.id, {
          type: 'client.rotated',
          ...(cursor ? { cursor } : {}),
        }),
      );
      found.push(...page.data.map((row) => row.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(found).toEqual([needle.id]);
    expect(reads).toBe(2);
  });
});
