/**
 * OpenAI-style errors: every failure the mock answers is `{ error: { message, type, param, code } }`
 * with the status OpenAI would use, so official clients raise their usual error classes.
 */

/** The `type` field OpenAI puts in an error body. */
export type ApiErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'requests' | 'tokens' | 'server_error';

/** One error answer: HTTP status, the OpenAI error body fields and extra headers (e.g. Retry-After). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly type: ApiErrorType,
    readonly code: string | null,
    readonly param: string | null = null,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  /** The JSON body, exactly as OpenAI shapes it. */
  toBody(): string {
    return JSON.stringify({ error: { message: this.message, type: this.type, param: this.param, code: this.code } });
  }
}

/** A mock-llm configuration that cannot be used (bad options or models file). */
export class MockConfigError extends Error {
  override name = 'MockConfigError';
  readonly code = 'mock_config_invalid';
}

/** 400 for a request body that fails validation. */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError(400, message, 'invalid_request_error', code, param);
}
