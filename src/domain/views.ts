import type { Client, PublicClient } from '../ports/entities';

/**
 * What callers see of the stored entities. Every value that leaves the domain goes through one of
 * these, so a hash never reaches a handler, a log line or a response by accident.
 */

// --- clients -------------------------------------------------------------------------------------

/** A client without its secret hash (and without `deletedAt`: deleted clients are never shown). */
export function toPublicClient(client: Client): PublicClient {
  return {
    id: client.id,
    organizationId: client.organizationId,
    name: client.name,
    roles: [...client.roles],
    reqsPerSec: client.reqsPerSec,
    createdAt: client.createdAt,
    updatedAt: client.updatedAt,
    lastUsedAt: client.lastUsedAt,
  };
}
