import * as t from 'io-ts';
import {
  type AccessRestriction,
  AUTH_METHODS,
  CLIENT_ROLES,
  type Client,
  type LoginEmail,
  MEMBERSHIP_ROLES,
  type Membership,
  type Organization,
  type PublicClient,
  type PublicInvitation,
  type PublicMembership,
  type PublicOrganization,
  type PublicSession,
  type PublicUser,
  RESTRICTION_TYPES,
  type ReceivedInvitation,
  USER_ROLES,
} from '../ports/entities';
import type { JsonWebKeySet } from '../ports/lib';
import type { EventActor, EventSubjects, StoredEvent } from '../ports/outbox';
import { withCustomFields } from './custom-fields';
import type { Page } from './pagination';
import type { AccessTokenGrant } from './reauthentication';
import type { Tokens } from './session-opening';

/**
 * What callers see of the stored entities. Every value that leaves the domain goes through one of
 * these, so a hash never reaches a handler, a log line or a response by accident.
 */

// --- clients -------------------------------------------------------------------------------------

/**
 * A client without its secret hash (and without `deletedAt`: deleted clients are never shown), its
 * custom fields beside its own.
 */
export function toPublicClient(client: Client): PublicClient {
  const view: PublicClient = {
    id: client.id,
    organizationId: client.organizationId,
    name: client.name,
    roles: [...client.roles],
    reqsPerSec: client.reqsPerSec,
    createdAt: client.createdAt,
    updatedAt: client.updatedAt,
    lastUsedAt: client.lastUsedAt,
  };
  return withCustomFields(view, client.fields);
}

// --- organizations and memberships ----------------------------------------------------------------

/** An organization, its custom fields beside its own. */
export function toPublicOrganization(organization: Organization): PublicOrganization {
  const view: PublicOrganization = {
    id: organization.id,
    name: organization.name,
    requireMfa: organization.requireMfa,
    createdAt: organization.createdAt,
    updatedAt: organization.updatedAt,
  };
  return withCustomFields(view, organization.fields);
}

/** A membership, its custom fields beside its own. */
export function toPublicMembership(membership: Membership): PublicMembership {
  const view: PublicMembership = {
    id: membership.id,
    organizationId: membership.organizationId,
    userId: membership.userId,
    role: membership.role,
    createdAt: membership.createdAt,
  };
  return withCustomFields(view, membership.fields);
}

// --- events --------------------------------------------------------------------------------------

/**
 * An event of the trail (`GET /organizations/:id/events`, `GET /users/:id/events`): what happened,
 * who acted and what it is about, never its delivery state. `attempts`, `lastError` and the lease stay
 * in the outbox: a last error may quote a webhook receiver's answer or address.
 */
export function toEventView(event: StoredEvent): EventView {
  return {
    id: event.id,
    type: event.type,
    at: new Date(event.at.getTime()),
    actor: { userId: event.actor.userId, clientId: event.actor.clientId, ip: event.actor.ip },
    subjects: {
      userId: event.subjects.userId,
      organizationId: event.subjects.organizationId,
      clientId: event.subjects.clientId,
      sessionId: event.subjects.sessionId,
    },
    payload: structuredClone(event.payload),
  };
}

// --- view codecs ---------------------------------------------------------------------------------
//
// The same views as io-ts codecs: their output side (`t.OutputOf`, what JSON carries) is the schema of
// every response body in the OpenAPI document, and their decoded side must equal the TypeScript types
// the services return (checked at the end of this file), so a field added to a view without its
// codec, or the other way round, fails the type check instead of drifting out of the document.
// Every object codec is `t.strict`: a field the codec does not name (a hash…) fails the schema.

/** A `Date` in the domain, an ISO 8601 string (`toJSON`) on the wire. */
export const DateTimeView = new t.Type<Date, string, unknown>(
  'DateTime',
  (u): u is Date => u instanceof Date,
  (u, c) => {
    if (u instanceof Date) return t.success(u);
    const parsed = typeof u === 'string' ? new Date(u) : null;
    return parsed !== null && !Number.isNaN(parsed.getTime()) ? t.success(parsed) : t.failure(u, c);
  },
  (date) => date.toJSON(),
);

function oneOf<T extends readonly [string, string, ...string[]]>(values: T, name: string) {
  const [first, second, ...rest] = values.map((value) => t.literal(value));
  return t.union([first, second, ...rest], name) as unknown as t.Type<T[number], T[number], unknown>;
}

const nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

export const UserRoleView = oneOf(USER_ROLES, 'UserRole');
export const ClientRoleView = oneOf(CLIENT_ROLES, 'ClientRole');
export const MembershipRoleView = oneOf(MEMBERSHIP_ROLES, 'MembershipRole');
export const RestrictionTypeView = oneOf(RESTRICTION_TYPES, 'RestrictionType');
export const AuthMethodView = oneOf(AUTH_METHODS, 'AuthMethod');

/** A login email address of a user (`LoginEmail`). */
export const LoginEmailView = t.strict(
  { address: t.string, userId: t.string, verifiedAt: nullable(DateTimeView), createdAt: DateTimeView },
  'LoginEmail',
);

/** A user (`PublicUser`): `emails` on registration and `GET /users/:id`. */
export const PublicUserView = t.intersection(
  [
    t.strict({
      id: t.string,
      name: t.string,
      roles: t.array(UserRoleView),
      hasPassword: t.boolean,
      createdAt: DateTimeView,
      updatedAt: DateTimeView,
      bannedAt: nullable(DateTimeView),
    }),
    t.exact(t.partial({ emails: t.array(LoginEmailView), mfa: t.strict({ totp: t.boolean }) })),
  ],
  'User',
);

/** A live session of a user (`PublicSession`). */
export const PublicSessionView = t.strict(
  {
    id: t.string,
    userId: t.string,
    clientId: nullable(t.string),
    ip: nullable(t.string),
    userAgent: nullable(t.string),
    createdAt: DateTimeView,
    lastUsedAt: DateTimeView,
    expiresAt: DateTimeView,
    idleExpiresAt: DateTimeView,
    authMethod: AuthMethodView,
    authenticatedAt: DateTimeView,
  },
  'Session',
);

/** What a login or refresh answers (`Tokens`). */
export const TokensView = t.strict(
  {
    accessToken: t.string,
    refreshToken: t.string,
    tokenType: t.literal('Bearer'),
    expiresIn: t.number,
    sessionId: t.string,
  },
  'Tokens',
);

/** What `POST /authn/reauthenticate` returns: a new access token of the same session. */
export const AccessTokenGrantView = t.strict(
  { accessToken: t.string, tokenType: t.literal('Bearer'), expiresIn: t.number, sessionId: t.string },
  'AccessTokenGrant',
);

export const OrganizationView = t.strict(
  { id: t.string, name: t.string, requireMfa: t.boolean, createdAt: DateTimeView, updatedAt: DateTimeView },
  'Organization',
);

export const MembershipView = t.strict(
  { id: t.string, organizationId: t.string, userId: t.string, role: MembershipRoleView, createdAt: DateTimeView },
  'Membership',
);

/** An API client (`PublicClient`): never its secret hash. */
export const PublicClientView = t.strict(
  {
    id: t.string,
    organizationId: t.string,
    name: t.string,
    roles: t.array(ClientRoleView),
    reqsPerSec: t.number,
    createdAt: DateTimeView,
    updatedAt: DateTimeView,
    lastUsedAt: nullable(DateTimeView),
  },
  'Client',
);

/** A client with its key, answered by creation and rotation only (`ClientWithKey`). */
export const ClientWithKeyView = t.strict({ client: PublicClientView, key: t.string }, 'ClientWithKey');

export const AccessRestrictionView = t.strict(
  { id: t.string, clientId: t.string, type: RestrictionTypeView, value: t.string, createdAt: DateTimeView },
  'AccessRestriction',
);

/** An invitation as its organization's admins see it (`PublicInvitation`): never its token or hash. */
export const InvitationView = t.strict(
  {
    id: t.string,
    organizationId: t.string,
    email: t.string,
    role: MembershipRoleView,
    invitedByUserId: nullable(t.string),
    createdAt: DateTimeView,
    expiresAt: DateTimeView,
  },
  'Invitation',
);

/** An invitation as the invited user sees it (`ReceivedInvitation`), with the organization's name. */
export const ReceivedInvitationView = t.strict(
  {
    id: t.string,
    organizationId: t.string,
    organizationName: t.string,
    email: t.string,
    role: MembershipRoleView,
    createdAt: DateTimeView,
    expiresAt: DateTimeView,
  },
  'ReceivedInvitation',
);

/** An event of the trail (`toEventView`); `payload` holds the event's other fields (docs/events.md). */
export const EventView = t.strict(
  {
    id: t.string,
    type: t.string,
    at: DateTimeView,
    actor: t.strict({ userId: nullable(t.string), clientId: nullable(t.string), ip: nullable(t.string) }, 'EventActor'),
    subjects: t.strict(
      {
        userId: nullable(t.string),
        organizationId: nullable(t.string),
        clientId: nullable(t.string),
        sessionId: nullable(t.string),
      },
      'EventSubjects',
    ),
    payload: t.record(t.string, t.unknown),
  },
  'Event',
);
export type EventView = t.TypeOf<typeof EventView>;

/** The bare JWKS of `/.well-known/jwks.json`: public keys, whose members depend on the algorithm. */
export const JsonWebKeySetView = t.strict({ keys: t.array(t.record(t.string, t.unknown)) }, 'JsonWebKeySet');

/** A TOTP enrolment, shown once (`TotpEnrolment`): the secret, its `otpauth://` URI and a QR code (SVG). */
export const TotpEnrolmentView = t.strict({ secret: t.string, uri: t.string, qrCodeSvg: t.string }, 'TotpEnrolment');

/** Recovery codes, shown once (`RecoveryCodes`). */
export const RecoveryCodesView = t.strict({ recoveryCodes: t.array(t.string) }, 'RecoveryCodes');

/** Whole lists, as the answers of the changes that return what remains carry them (not paged). */
export const LoginEmailListView = t.array(LoginEmailView);
export const AccessRestrictionListView = t.array(AccessRestrictionView);

/** A page of a list (`Page<T>`, domain/pagination.ts): the answer body of a list route, envelope included. */
export function pageView<C extends t.Mixed>(item: C, name: string) {
  return t.strict({ data: t.array(item), nextCursor: nullable(t.string) }, name);
}

/** The answers of the list routes, one per list (described inline by the OpenAPI document). */
export const LoginEmailPageView = pageView(LoginEmailView, 'LoginEmailPage');
export const PublicSessionPageView = pageView(PublicSessionView, 'SessionPage');
export const MembershipPageView = pageView(MembershipView, 'MembershipPage');
export const PublicClientPageView = pageView(PublicClientView, 'ClientPage');
export const AccessRestrictionPageView = pageView(AccessRestrictionView, 'AccessRestrictionPage');
export const InvitationPageView = pageView(InvitationView, 'InvitationPage');
export const ReceivedInvitationPageView = pageView(ReceivedInvitationView, 'ReceivedInvitationPage');
export const EventPageView = pageView(EventView, 'EventPage');

/** Any io-ts codec, as route descriptions name them (handlers import no io-ts of their own). */
export type AnyCodec = t.Mixed;

// --- the views are the types ----------------------------------------------------------------------

/** `true` only when `A` and `B` are the same type (each assignable to the other, in both readings). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compiles only with `true`: a failing check names the view that drifted from its type. */
function sameType<Check extends true>(): Check | undefined {
  return undefined;
}
sameType<Same<t.TypeOf<typeof LoginEmailView>, LoginEmail>>();
sameType<Same<t.TypeOf<typeof PublicUserView>, PublicUser>>();
sameType<Same<t.TypeOf<typeof PublicSessionView>, PublicSession>>();
sameType<Same<t.TypeOf<typeof TokensView>, Tokens>>();
sameType<Same<t.TypeOf<typeof AccessTokenGrantView>, AccessTokenGrant>>();
sameType<Same<t.TypeOf<typeof OrganizationView>, PublicOrganization>>();
sameType<Same<t.TypeOf<typeof MembershipView>, PublicMembership>>();
sameType<Same<t.TypeOf<typeof PublicClientView>, PublicClient>>();
sameType<Same<t.TypeOf<typeof AccessRestrictionView>, AccessRestriction>>();
sameType<Same<t.TypeOf<typeof InvitationView>, PublicInvitation>>();
sameType<Same<t.TypeOf<typeof ReceivedInvitationView>, ReceivedInvitation>>();
sameType<Same<t.TypeOf<typeof JsonWebKeySetView>, JsonWebKeySet>>();
sameType<Same<t.TypeOf<typeof MembershipPageView>, Page<PublicMembership>>>();
sameType<Same<t.TypeOf<typeof PublicSessionPageView>, Page<PublicSession>>>();
sameType<Same<EventView['actor'], EventActor>>();
sameType<Same<EventView['subjects'], EventSubjects>>();
