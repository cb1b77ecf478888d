import { EventFilters, type EventQueryInput } from '../domain/event-trail';
import { EventPageView } from '../domain/views';
import { asInput, pageQuery, pageResponse, userIdParam } from './respond';
import type { Action, ActionRequest, DocumentedRoute, QueryParameterDocs } from './types';

/**
 * The query of an event route: the filters (`type`, `from`, `to`) and the page (`limit`, `cursor`),
 * as they came (a repeated parameter as its array): the service decodes them, so a bad one is
 * `VALIDATION_FAILED` naming it. Other parameters are ignored, as on every list route.
 */
function eventQuery(request: ActionRequest): EventQueryInput {
  const input: Record<string, unknown> = { ...pageQuery(request) };
  for (const name of Object.keys(EventFilters.optional)) {
    if (request.query[name] !== undefined) input[name] = request.query[name];
  }
  return asInput<EventQueryInput>(input);
}

/** `GET /organizations/:id/events`: the organization's events, oldest first; admins, owners, staff. */
export const listOrganizationEvents: Action = async (accounts, request) =>
  pageResponse(await accounts.events.listOrganizationEvents(request.caller, request.params.id, eventQuery(request)));

/** `GET /users/:id/events`: the user's events, oldest first; self, employees, sysadmins. */
export const listUserEvents: Action = async (accounts, request) => {
  const userId = userIdParam(request);
  if (userId.err) return userId;
  return pageResponse(await accounts.events.listUserEvents(request.caller, userId.val, eventQuery(request)));
};

/** The filters of both routes, for the OpenAPI document: one entry per field of `EventFilters`. */
const FILTER_PARAMETERS: Record<keyof typeof EventFilters.optional, QueryParameterDocs> = {
  type: {
    codec: EventFilters.optional.type,
    description:
      'Only events of these types, comma-separated (`login.succeeded,login.failed`); an unknown type is refused.',
  },
  from: {
    codec: EventFilters.optional.from,
    description: 'Only events at or after this instant (ISO 8601 with `Z` or an offset; send `+` as `%2B`).',
  },
  to: {
    codec: EventFilters.optional.to,
    description: 'Only events before this instant (ISO 8601 with `Z` or an offset); not before `from`.',
  },
};

const PAGE_DESCRIPTION =
  'A page of the events, oldest first (by the order they were written): what happened, who acted, what it is about; never delivery state.';

export const eventRoutes: DocumentedRoute[] = [
  {
    method: 'GET',
    path: '/organizations/:id/events',
    body: 'none',
    action: listOrganizationEvents,
    docs: {
      summary: 'List an organization’s events (the audit trail)',
      who: 'admin+, employee, sysadmin',
      callers: 'caller',
      query: FILTER_PARAMETERS,
      success: { status: 200, description: PAGE_DESCRIPTION, page: EventPageView },
    },
  },
  {
    method: 'GET',
    path: '/users/:id/events',
    body: 'none',
    action: listUserEvents,
    docs: {
      summary: 'List a user’s events (the audit trail)',
      who: 'self, employee, sysadmin',
      callers: 'caller',
      query: FILTER_PARAMETERS,
      success: { status: 200, description: PAGE_DESCRIPTION, page: EventPageView },
    },
  },
];
