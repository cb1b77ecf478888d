import * as t from 'io-ts';
import { Ok, type Result } from 'ts-results';
import { EVENT_TYPES } from '../ports/event-record';
import type { AccountsEventType } from '../ports/events';
import type { ListEventsQuery, StoredEvent } from '../ports/outbox';
import { canReadEverything, forbiddenFor, hiddenFrom, isSelf, roleAtLeast } from './authorization';
import { decode, struct } from './codecs';
import type { Caller, Deps } from './context';
import { type AccountsError, type FieldProblem, fail } from './errors';
import { authorizeOrganizationRead } from './organizations';
import { DEFAULT_PAGE_LIMIT, decodeCursorPayload, encodeCursorPayload, type Page, PageQuery } from './pagination';
import { resolveUserId } from './user-ref';
import { type EventView, toEventView } from './views';

/**
 * The read side of the event trail (issue 11 §2, docs/http.md "Events"): the events of one
 * organization or one user, oldest first, a page at a time, filtered by type and time. The rows are
 * the outbox's (`Io.listEvents`); what leaves is `EventView`, never the delivery state.
 */

/** What a caller may pass: every field optional, as a query string carries it (see `EventQuery`). */
export interface EventQueryInput {
  /** One or more event types: an array, or a comma-separated string (`login.succeeded,login.failed`). */
  type?: string | readonly string[];
  /** ISO 8601 date-time with a time zone (or a `Date`): events at or after it. */
  from?: string | Date;
  /** ISO 8601 date-time with a time zone (or a `Date`): events before it. */
  to?: string | Date;
  limit?: number | string;
  /** A previous page's `nextCursor`, as it came. */
  cursor?: string;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);
/** Far above every known type named once; a filter longer than this is not a filter. */
const MAX_TYPE_FILTER_LENGTH = 2048;

/** `type`: known event types, from an array or a comma-separated string (a repeated parameter gives an array). */
export const EventTypeFilter = new t.Type<AccountsEventType[], string, unknown>(
  'EventTypeFilter',
  (u): u is AccountsEventType[] => Array.isArray(u) && u.every((name) => KNOWN_TYPES.has(name)),
  (u, c) => {
    const parts = typeof u === 'string' ? [u] : Array.isArray(u) && u.every((x) => typeof x === 'string') ? u : null;
    if (parts === null || parts.join(',').length > MAX_TYPE_FILTER_LENGTH) {
      return t.failure(u, c, 'must be event types, comma-separated');
    }
    const names = parts.flatMap((part: string) => part.split(',')).map((name) => name.trim());
    if (names.length === 0 || names.some((name) => !KNOWN_TYPES.has(name))) {
      return t.failure(u, c, `must be event types, comma-separated, each one of: ${EVENT_TYPES.join(', ')}`);
    }
    return t.success([...new Set(names)] as AccountsEventType[]);
  },
  (types) => types.join(','),
);

/**
 * RFC 3339's date-time (ISO 8601 with a time zone): an instant, whatever the server's zone. A time
 * without `Z` or an offset would be read in the server's local time, so it is refused.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/i;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function parseDateTime(raw: string): Date | null {
  const match = DATE_TIME.exec(raw);
  if (match === null) return null;
  const [, year, month, day, hour, minute, second = '00', fraction = '', zone, zoneHour, zoneMinute] = match;
  const daysInMonth = DAYS_IN_MONTH[Number(month) - 1] + (Number(month) === 2 && isLeapYear(Number(year)) ? 1 : 0);
  const fieldsValid =
    Number(month) >= 1 &&
    Number(month) <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= daysInMonth &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    (zoneHour === undefined || (Number(zoneHour) <= 23 && Number(zoneMinute) <= 59));
  if (!fieldsValid) return null;
  // Milliseconds are what a Date holds; finer digits are dropped, not rounded, as `Date.parse` varies there.
  const millis = fraction === '' ? '' : fraction.slice(0, 4).padEnd(4, '0');
  const date = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}${millis}${zone.toUpperCase()}`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `from` / `to`: an ISO 8601 date-time with a time zone (`2026-01-31T12:00:00Z`), or a valid `Date`. */
export const EventTime = new t.Type<Date, string, unknown>(
  'EventTime',
  (u): u is Date => u instanceof Date,
  (u, c) => {
    const date = u instanceof Date ? new Date(u.getTime()) : typeof u === 'string' ? parseDateTime(u) : null;
    return date !== null && !Number.isNaN(date.getTime())
      ? t.success(date)
      : t.failure(u, c, 'must be an ISO 8601 date-time with a time zone, such as 2026-01-31T12:00:00Z');
  },
  (date) => date.toISOString(),
);

/** The version and kind inside every event cursor: a cursor of another list, or of another encoding, is refused. */
const CURSOR_VERSION = 1;
const CURSOR_KIND = 'events';
const MAX_CURSOR_LENGTH = 128;

/** The cursor of the page after the event with this `seq`: base64url of `{ v, k: 'events', s }`. */
export function encodeEventCursor(seq: number): string {
  return encodeCursorPayload({ v: CURSOR_VERSION, k: CURSOR_KIND, s: seq });
}

/**
 * The `seq` inside a cursor, or null for anything `encodeEventCursor` did not write: the cursor of
 * another list (memberships, sessions…) included, so that it is refused rather than read as some
 * position in this one. Not signed: a forged one only moves where a list the caller may read starts.
 */
export function decodeEventCursor(cursor: string): number | null {
  const parsed = decodeCursorPayload(cursor, MAX_CURSOR_LENGTH);
  if (parsed === null) return null;
  const { v, k, s, ...rest } = parsed;
  if (v !== CURSOR_VERSION || k !== CURSOR_KIND || Object.keys(rest).length > 0) return null;
  if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) return null;
  // Re-encoding must give the cursor back: other base64 or JSON spellings of it are not ours.
  return encodeEventCursor(s) === cursor ? s : null;
}

const EventCursor = new t.Type<number, string, unknown>(
  'EventCursor',
  (u): u is number => typeof u === 'number',
  (u, c) => {
    const seq = typeof u === 'string' ? decodeEventCursor(u) : null;
    return seq === null ? t.failure(u, c, 'must be a nextCursor of an earlier page of this list') : t.success(seq);
  },
  encodeEventCursor,
);

/** The filters of the event routes (documented as their query parameters). */
export const EventFilters = struct('EventFilters', {}, { type: EventTypeFilter, from: EventTime, to: EventTime });

/** The codec of `EventQueryInput`: each bad field is a `VALIDATION_FAILED` detail naming it, all at once. */
export const EventQuery = struct(
  'EventQuery',
  {},
  { ...EventFilters.optional, limit: PageQuery.optional.limit, cursor: EventCursor },
);

/** A decoded query: what `Io.listEvents` reads, but for the subject. */
type EventPageRequest = Omit<ListEventsQuery, 'organizationId' | 'userId'>;

/**
 * Decodes a caller's query. `from` after `to` is reported on `from`, with the other bad fields; an
 * equal pair is an empty range, not an error.
 */
export function decodeEventQuery(input: EventQueryInput | undefined): Result<EventPageRequest, AccountsError> {
  const raw: unknown = input ?? {};
  const decoded = decode(EventQuery, raw);
  const misordered = rangeProblem(raw);
  if (decoded.err || misordered) {
    const details: FieldProblem[] = [...(decoded.err ? (decoded.val.details ?? []) : []), ...(misordered ?? [])];
    return fail('VALIDATION_FAILED', { details });
  }
  const { type, from, to, limit, cursor } = decoded.val;
  const request: EventPageRequest = { limit: limit ?? DEFAULT_PAGE_LIMIT };
  if (type !== undefined) request.types = type;
  if (from !== undefined) request.from = from;
  if (to !== undefined) request.to = to;
  if (cursor !== undefined) request.after = cursor;
  return Ok(request);
}

function rangeProblem(raw: unknown): FieldProblem[] | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { from, to } = raw as Record<string, unknown>;
  const start = EventTime.decode(from);
  const end = EventTime.decode(to);
  if (start._tag === 'Left' || end._tag === 'Left' || start.right.getTime() <= end.right.getTime()) return null;
  return [{ path: 'from', message: 'must not be after to' }];
}

/**
 * The event trail of organizations and users. Reading it is an administrator's or the user's own
 * business: an organization's to its admins and owners, a user's to the user; employees, sysadmins
 * and system clients read every one (docs/security-rules.md §6).
 */
export class EventTrailService {
  constructor(private readonly deps: Deps) {}

  /**
   * One page of an organization's events (those whose `organizationId` is it), oldest first. Admins
   * and owners, employees, sysadmins and system clients. Members and the organization's internal
   * clients get FORBIDDEN, as on other admin routes; anyone who may not see the organization
   * NOT_FOUND.
   */
  async listOrganizationEvents(
    caller: Caller,
    organizationId: string,
    query?: EventQueryInput,
  ): Promise<Result<Page<EventView>, AccountsError>> {
    const request = decodeEventQuery(query);
    if (request.err) return request;
    const access = await authorizeOrganizationRead(this.deps.io, caller, organizationId);
    if (access.err) return access;
    const { role } = access.val;
    if (!canReadEverything(caller) && (role === null || !roleAtLeast(role, 'admin'))) return forbiddenFor(caller);
    return Ok(await this.page({ ...request.val, organizationId }));
  }

  /**
   * One page of a user's events (those whose `userId` is them), oldest first: the user themself
   * (`'me'`), employees, sysadmins and system clients; hidden from anyone else. A deleted user's
   * trail stays readable by staff: the account is gone, what happened to it is not.
   */
  async listUserEvents(
    caller: Caller,
    userRef: string,
    query?: EventQueryInput,
  ): Promise<Result<Page<EventView>, AccountsError>> {
    const request = decodeEventQuery(query);
    if (request.err) return request;
    const target = resolveUserId(caller, userRef);
    if (target.err) return target;
    const userId = target.val;
    if (!isSelf(caller, userId) && !canReadEverything(caller)) return hiddenFrom(caller);
    if (!(await this.deps.io.findUserById(userId))) return fail('NOT_FOUND');
    const page = await this.page({ ...request.val, userId });
    return Ok({ ...page, data: page.data.map((event) => withoutOthersAddress(event, userId)) });
  }

  /**
   * One page. Without a filter: one row more than it shows, whose presence proves a next page. With
   * `type`, `from` or `to`, the rows are filtered here from a bounded window of the subject's events
   * (`FILTER_WINDOW` of them, read by the subject's index): the database never reads past that window
   * for one request, however few events match (docs/security-rules.md §7: the cost of a request is
   * bounded). A page may then hold fewer rows than `limit`, or none, with a `nextCursor` after the
   * last event looked at; the walk goes on from there.
   */
  private async page(query: ListEventsQuery): Promise<Page<EventView>> {
    const filtered = query.types !== undefined || query.from !== undefined || query.to !== undefined;
    if (!filtered) {
      const rows = await this.deps.io.listEvents({ ...query, limit: query.limit + 1 });
      const shown = rows.slice(0, query.limit);
      const last = shown[shown.length - 1];
      const more = rows.length > query.limit && last !== undefined;
      return { data: shown.map(toEventView), nextCursor: more ? encodeEventCursor(last.seq) : null };
    }
    if (query.from !== undefined && query.to !== undefined && query.from.getTime() >= query.to.getTime()) {
      return { data: [], nextCursor: null };
    }
    const { types, from, to, limit, ...subject } = query;
    const window = await this.deps.io.listEvents({ ...subject, limit: FILTER_WINDOW + 1 });
    const scanned = window.slice(0, FILTER_WINDOW);
    const matches = (event: StoredEvent) =>
      (types === undefined || types.includes(event.type)) &&
      (from === undefined || event.at.getTime() >= from.getTime()) &&
      (to === undefined || event.at.getTime() < to.getTime());
    const shown: StoredEvent[] = [];
    let lastLooked: StoredEvent | undefined;
    for (const event of scanned) {
      if (shown.length === limit) break;
      lastLooked = event;
      if (matches(event)) shown.push(event);
    }
    // More may follow: rows left in the window after the page, or a window that was full.
    const rest = lastLooked === undefined ? [] : window.filter((event) => event.seq > lastLooked.seq);
    const more = rest.some(matches) || window.length > FILTER_WINDOW;
    return { data: shown.map(toEventView), nextCursor: more && lastLooked ? encodeEventCursor(lastLooked.seq) : null };
  }
}

/**
 * A user's trail shows the address of requests the user made, or made to their account (logins,
 * resets), never that of someone else acting on it: an administrator changing their roles or
 * membership, or the owner of an address proving it (`email.released`), which would tell whoever
 * parked that address on their account where its owner just logged in.
 */
function withoutOthersAddress(event: EventView, userId: string): EventView {
  const { actor } = event;
  if (actor.ip === null) return event;
  const own = actor.userId === userId;
  const toTheAccount = actor.userId === null && actor.clientId === null && event.type !== 'email.released';
  return own || toTheAccount ? event : { ...event, actor: { ...actor, ip: null } };
}

/** How many of a subject's events one filtered page looks at, at most. */
export const FILTER_WINDOW = 1000;
