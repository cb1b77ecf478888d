import type { Invitation } from '../../ports/entities';
import { copyRow, type Journal, oldestFirst, Table } from './tables';

const byId = (row: { id: string }): string => row.id;

/**
 * The invitations of the in-memory `Io`, a part of `MemoryStore` (which runs each call start to end
 * without an await, so replacing and consuming are atomic). Rows are keyed by id; the one-per-
 * (organization, address) rule of the SQL unique index is kept by `put`.
 */
export class InvitationRows {
  readonly #rows: Table<Invitation>;

  constructor(journal: Journal) {
    this.#rows = new Table<Invitation>(journal, 'an invitation with that id');
  }

  put(invitation: Invitation): void {
    const earlier = this.#find(
      (row) => row.organizationId === invitation.organizationId && row.address === invitation.address,
    );
    if (earlier) this.#rows.delete(earlier.id);
    // A token hash is unique, as its SQL index is.
    if (this.#find((row) => row.tokenHash === invitation.tokenHash)) {
      throw new Error('MemoryIo: an invitation with that token hash already exists');
    }
    this.#rows.insert(invitation.id, invitation);
  }

  findById(id: string): Invitation | null {
    const row = this.#rows.get(id);
    return row ? copyRow(row) : null;
  }

  findByTokenHash(tokenHash: string): Invitation | null {
    const row = this.#find((candidate) => candidate.tokenHash === tokenHash);
    return row ? copyRow(row) : null;
  }

  findFor(organizationId: string, address: string): Invitation | null {
    const row = this.#find((candidate) => candidate.organizationId === organizationId && candidate.address === address);
    return row ? copyRow(row) : null;
  }

  listOpen(keep: (row: Readonly<Invitation>) => boolean, now: Date): Invitation[] {
    const open = [...this.#rows.values()].filter((row) => keep(row) && row.expiresAt.getTime() > now.getTime());
    return oldestFirst(open, byId).map(copyRow);
  }

  consume(id: string, now: Date): boolean {
    const row = this.#rows.get(id);
    if (!row || row.expiresAt.getTime() <= now.getTime()) return false;
    return this.#rows.delete(id);
  }

  delete(id: string): boolean {
    return this.#rows.delete(id);
  }

  /** The cascade of an organization's deletion. */
  deleteOfOrganization(organizationId: string): void {
    for (const row of [...this.#rows.values()]) {
      if (row.organizationId === organizationId) this.#rows.delete(row.id);
    }
  }

  #find(matches: (row: Readonly<Invitation>) => boolean): Readonly<Invitation> | undefined {
    for (const row of this.#rows.values()) if (matches(row)) return row;
    return undefined;
  }
}
