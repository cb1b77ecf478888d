/**
 * Event delivery (docs/events.md): the relay that moves events from the transactional outbox to
 * `Lib.onEvent` and to signed webhooks, and the signature check receivers use.
 */

export { MemoryEventOutbox } from '../adapters/memory/memory-event-outbox';
export { SqlEventOutbox } from '../adapters/sql/event-outbox';
export { EVENT_TYPES, PAYLOAD_FIELDS, toAccountsEvent, toEventRecord } from '../ports/event-record';
export type {
  ClaimOptions,
  EventActor,
  EventOutbox,
  EventRecord,
  EventSubjects,
  FailureOutcome,
  JsonValue,
  ListEventsQuery,
  StoredEvent,
} from '../ports/outbox';
export { subjectKey } from '../ports/outbox';
export { EventRelay, type EventRelayOptions, type RelayRound } from './relay';
export { signWebhook, type VerifyWebhookOptions, verifyWebhookSignature, webhookKey } from './signature';
export {
  type EventSink,
  functionSink,
  onEventSink,
  type WebhookBody,
  WebhookDeliveryError,
  WebhookSink,
  type WebhookSinkOptions,
  webhookBody,
} from './sinks';
