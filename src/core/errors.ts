/** One error class for everything a user can get wrong; the CLI prints its message and exits 2. */

/** Kinds of user-facing failure. */
export type BenchErrorCode = 'USAGE' | 'INVALID_SCENARIO' | 'INCOMPARABLE' | 'INVALID_RESULTS' | 'INVALID_MODELS' | 'INVALID_TRACE' | 'DEPENDENCY_FAILED';

/** A user mistake or an impossible request: printed as one message, no stack, exit code 2. */
export class BenchError extends Error {
  override name = 'BenchError';
  constructor(
    public readonly code: BenchErrorCode,
    message: string,
  ) {
    super(message);
  }
}
