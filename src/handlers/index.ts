/**
 * Framework-neutral HTTP handlers (docs/http.md): a route table of plain async functions from a small
 * request object to a small response object, a dispatcher, adapters for node:http, Express, Fastify and
 * the Fetch API, and the OpenAPI document of the table. See docs/http.md and docs/frameworks.md.
 */
export { authenticateCaller, type CredentialContext } from './auth';
export { bodyByteLength, DEFAULT_BODY_LIMIT_BYTES, expectNoFields, isJsonContentType, parseJsonBody } from './body';
export * from './clients';
export { type AccountsHandlers, bindRoute, createHandlers, ROUTE_DEFINITIONS } from './create-handlers';
export * from './emails';
export {
  BASE_HEADERS,
  type ErrorEnvelope,
  errorResponse,
  HTTP_ERRORS,
  type HttpErrorCode,
  httpError,
  httpStatusOf,
  internalErrorResponse,
  type ResponseErrorCode,
} from './errors';
export * from './events';
export { type AccountsMiddleware, accountsRouter } from './express';
export {
  accountsFrameworkErrors,
  accountsPlugin,
  type FastifyErrorLike,
  type FastifyInstanceLike,
  type FastifyReplyLike,
  type FastifyRequestLike,
} from './fastify';
export { type FetchHandlerOptions, toFetchHandler } from './fetch';
export * from './invitations';
export {
  CONSOLE_LOGGER,
  MAX_REQUEST_ID_LENGTH,
  REQUEST_ID_HEADER,
  toHandlerLogger,
  usableRequestId,
} from './logger';
export { type NodeListenerOptions, readRequestBody, toNodeListener, writeResponse } from './node';
export * from './openapi';
export * from './organizations';
export { clientAddress, headerValue, normalizeAddress } from './request';
export { acceptedResponse, asInput, dataResponse, noContentResponse, userIdParam } from './respond';
export { type Lookup, type RouteMatch, Router } from './router';
export * from './sessions';
export type * from './types';
export * from './users';
