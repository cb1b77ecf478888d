/**
 * Framework-neutral HTTP handlers (HTTP.md): a route table of plain async functions from a small
 * request object to a small response object, a dispatcher, and a node:http adapter. See docs/http.md.
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
export { type FetchHandlerOptions, toFetchHandler } from './fetch';
export { type NodeListenerOptions, readRequestBody, toNodeListener, writeResponse } from './node';
export * from './organizations';
export { clientAddress, headerValue, normalizeAddress } from './request';
export { acceptedResponse, asInput, dataResponse, noContentResponse, userIdParam } from './respond';
export { type Lookup, type RouteMatch, Router } from './router';
export * from './sessions';
export type * from './types';
export * from './users';
