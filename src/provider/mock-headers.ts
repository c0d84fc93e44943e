/**
 * The request headers by which a client tells the mock provider what the simulator already knows
 * (the answer's length, the task's difficulty) or forces a fault. Shared by the live HTTP client
 * and mock-llm, so both sides name them once.
 */

/** Request headers the mock reads (ordinary clients never send them). */
export const MOCK_REQUEST_HEADERS = Object.freeze({
  outputTokens: 'x-mock-output-tokens',
  difficulty: 'x-mock-difficulty',
  /** Seeds the quality verdict (`answerSeed`), so live and simulated runs judge an answer alike. */
  qualitySeed: 'x-mock-quality-seed',
  fault: 'x-mock-fault',
  faultOnce: 'x-mock-fault-once',
});
