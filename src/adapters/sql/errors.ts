/**
 * A database failure inside `SqlIo` or `SqlRateLimitStore` (connection lost, deadlock, timeout,
 * constraint violated by a programmer error). Driver errors are not kept: knex and the drivers put
 * the SQL and its bound values (hashes, addresses) into their messages, and such values must never
 * reach a log line. The driver's error code is kept to tell failures apart.
 */
export class SqlIoError extends Error {
  override readonly name = 'SqlIoError';

  constructor(
    /** The operation that failed, e.g. `consumeRefreshToken`. */
    readonly operation: string,
    /** The driver's error code (`ECONNRESET`, `ER_LOCK_DEADLOCK`, `40P01`, `SQLITE_BUSY` …), if any. */
    readonly code: string | null,
    /** The driver's numeric error number (MySQL), if any. */
    readonly errno: number | null,
  ) {
    super(`accounts-module: database operation ${operation} failed${code ? ` (${code})` : ''}`);
  }

  static from(operation: string, error: unknown): SqlIoError {
    if (error instanceof SqlIoError) return error;
    const { code, errno, name } = (typeof error === 'object' && error !== null ? error : {}) as {
      code?: unknown;
      errno?: unknown;
      name?: unknown;
    };
    const label = typeof code === 'string' ? code : typeof name === 'string' && name !== 'Error' ? name : null;
    return new SqlIoError(operation, label, typeof errno === 'number' ? errno : null);
  }
}
