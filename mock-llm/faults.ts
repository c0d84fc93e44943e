/**
 * Injected faults: the one a request forces by header (once per body with x-mock-fault-once),
 * or one drawn from the configured rates, seeded by the call's sequence number.
 */
import { hashString, Rng } from '../src/core/random.ts';
import { MOCK_REQUEST_HEADERS } from '../src/provider/mock-headers.ts';
import { type ApiError, invalidRequest } from './errors.ts';
import { FORCEABLE_FAULTS, type CoreRequest, type ForcedFault } from './exchange.ts';
import { faultsFor, type ResolvedMockOptions } from './options.ts';

const FAULT_ONCE_MEMORY = 10_000;

/** Picks each call's fault. */
export class FaultPicker {
  private readonly faultsSeen = new Set<string>();

  constructor(private readonly options: ResolvedMockOptions) {}

  /** The fault a request forces by header, or an ApiError for a bad header value. */
  forced(req: CoreRequest, always: string | undefined, once: string | undefined): ForcedFault | ApiError | undefined {
    const pick = always ?? once;
    if (pick === undefined) return undefined;
    if (!(FORCEABLE_FAULTS as readonly string[]).includes(pick)) {
      const name = always !== undefined ? MOCK_REQUEST_HEADERS.fault : MOCK_REQUEST_HEADERS.faultOnce;
      return invalidRequest(`Invalid ${name} header "${pick}"; allowed: ${FORCEABLE_FAULTS.join(', ')}.`, null, 'invalid_mock_header');
    }
    if (always !== undefined) return pick as ForcedFault;
    // once: the first request with this body and this fault gets it, its retries do not
    const key = `${pick}|${hashString(req.body, this.options.seed)}|${req.body.length}`;
    if (this.faultsSeen.has(key)) return undefined;
    this.faultsSeen.add(key);
    if (this.faultsSeen.size > FAULT_ONCE_MEMORY) this.faultsSeen.delete(this.faultsSeen.values().next().value!);
    return pick as ForcedFault;
  }

  /** Draws this call's injected fault from the configured rates (seeded by the call's sequence number). */
  random(modelId: string, seq: number): ForcedFault | undefined {
    const rates = faultsFor(this.options, modelId);
    if (rates.error500 + rates.error503 + rates.hang + rates.cut === 0) return undefined;
    const u = Rng.derive(this.options.seed, `fault|${seq}`).next();
    let edge = rates.error500;
    if (u < edge) return '500';
    if (u < (edge += rates.error503)) return '503';
    if (u < (edge += rates.hang)) return 'hang';
    if (u < (edge += rates.cut)) return 'cut';
    return undefined;
  }
}
