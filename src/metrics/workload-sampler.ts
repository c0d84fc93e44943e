/**
 * The workload a run actually generated, in the figures a trace is summarised by (rate, token
 * quantiles, hourly profile), so a traced or fitted run can be set beside its source trace.
 */
import type { WorkloadFigures } from '../scenario/schema.ts';
import { summarize } from '../trace/token-fit.ts';
import type { LedgerRow } from './ledger.ts';

const MS_PER_HOUR = 3_600_000;

/** Collects each request's prompt tokens and arrival, and the answer step's first output per request. */
export class WorkloadSampler {
  private readonly input: Int32Array;
  private readonly output: Int32Array;
  private readonly hourCounts = new Float64Array(24);
  private arrived = 0;

  constructor(
    total: number,
    /** The step whose output length stands for the request's (the first LLM step). */
    private readonly answerStep: string,
  ) {
    this.input = new Int32Array(total);
    this.output = new Int32Array(total).fill(-1);
  }

  /** Request `id` arrived with a prompt of `inputTokens`. */
  request(id: number, arrivalMs: number, inputTokens: number): void {
    this.input[id] = inputTokens;
    this.hourCounts[Math.floor((arrivalMs % (24 * MS_PER_HOUR)) / MS_PER_HOUR)]!++;
    this.arrived++;
  }

  /** A ledger row: the answer step's first LLM call of each request gives its output length. */
  row(row: LedgerRow): void {
    if (row.kind === 'llm' && row.step === this.answerStep && row.job >= 0 && this.output[row.job] === -1) this.output[row.job] = row.outputTokens;
  }

  /** The figures over a run of `durationHours`. */
  figures(durationHours: number): WorkloadFigures {
    const hours = Math.min(24, Math.max(1, Math.ceil(durationHours)));
    const mean = this.hourCounts.slice(0, hours).reduce((a, b) => a + b, 0) / hours;
    return {
      requestsPerDay: Math.round(((this.arrived * 24) / durationHours) * 100) / 100,
      inputTokens: tokenFigures(this.input.subarray(0, this.arrived)),
      outputTokens: tokenFigures(this.output.filter((x) => x >= 0)),
      hourlyProfile: Array.from(this.hourCounts, (c, h) => (h < hours && mean > 0 ? Math.round((c / mean) * 1e4) / 1e4 : 1)),
    };
  }
}

function tokenFigures(values: Int32Array): WorkloadFigures['inputTokens'] {
  if (values.length === 0) return { mean: 0, p50: 0, p90: 0, p99: 0 };
  const { mean, p50, p90, p99 } = summarize(Int32Array.from(values).sort());
  return { mean: Math.round(mean * 100) / 100, p50, p90, p99 };
}
