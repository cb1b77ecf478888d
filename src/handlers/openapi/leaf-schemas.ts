import type * as t from 'io-ts';
import {
  ClientRoleCodec,
  CodeInput,
  Email,
  LoginState,
  MembershipRoleCodec,
  Name,
  Opaque,
  PasswordInput,
  ReqsPerSec,
  RestrictionTypeCodec,
  UserRoleCodec,
} from '../../domain/codecs';
import { EventTime, EventTypeFilter } from '../../domain/event-trail';
import { DateTimeView } from '../../domain/views';
import {
  CLIENT_ROLES,
  MEMBERSHIP_ROLES,
  RESTRICTION_TYPES,
  UNLIMITED_REQS_PER_SEC,
  USER_ROLES,
} from '../../ports/entities';
import { EVENT_TYPES } from '../../ports/event-record';
import type { JsonSchema } from './codec-schema';

/**
 * Schemas of the domain codecs whose check is a function (src/domain/codecs.ts): what each function
 * accepts, for readers of the document. Strings are checked after trimming where the codec trims, so
 * lengths here are those of the trimmed value; the codec stays the judge (tests/handlers/openapi.test.ts
 * checks both agree on bodies that pass and fail).
 */
export const DOMAIN_LEAF_SCHEMAS: ReadonlyMap<t.Any, JsonSchema> = new Map<t.Any, JsonSchema>([
  [DateTimeView, { type: 'string', format: 'date-time' }],
  [
    Email,
    { type: 'string', format: 'email', maxLength: 254, description: 'An email address; trimmed and lower-cased.' },
  ],
  [Name, { type: 'string', minLength: 1, maxLength: 200, description: 'Trimmed; no control characters.' }],
  [
    PasswordInput,
    { type: 'string', maxLength: 4096, description: 'Checked against the password policy after decoding.' },
  ],
  [
    LoginState,
    {
      type: 'string',
      pattern: '^[\\x20-\\x7e]{16,128}$',
      description: 'Chosen by the caller; the login code is bound to it.',
    },
  ],
  [CodeInput, { type: 'string', minLength: 1, maxLength: 64, description: 'Surrounding spaces are ignored.' }],
  [Opaque, { type: 'string', minLength: 1, maxLength: 512 }],
  [
    ReqsPerSec,
    {
      description: 'Requests per second, or -1 for unlimited.',
      anyOf: [{ const: UNLIMITED_REQS_PER_SEC }, { type: 'integer', minimum: 1, maximum: 1_000_000 }],
    },
  ],
  [EventTypeFilter, { type: 'array', minItems: 1, items: { type: 'string', enum: [...EVENT_TYPES] } }],
  [EventTime, { type: 'string', format: 'date-time', description: 'With a time zone: `Z` or an offset.' }],
  [UserRoleCodec, { type: 'string', enum: [...USER_ROLES] }],
  [ClientRoleCodec, { type: 'string', enum: [...CLIENT_ROLES] }],
  [MembershipRoleCodec, { type: 'string', enum: [...MEMBERSHIP_ROLES] }],
  [RestrictionTypeCodec, { type: 'string', enum: [...RESTRICTION_TYPES] }],
]);
