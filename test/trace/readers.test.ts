import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BenchError } from '../../src/core/errors.ts';
import { parseColumns, splitCsvLine } from '../../src/trace/csv.ts';
import { badRowsNote, detectTraceFormat, readTrace } from '../../src/trace/read.ts';
import { parseDateTimeMs } from '../../src/trace/timestamp.ts';
import { modelCounts } from '../../src/trace/trace.ts';

const fx = (name: string) => join(import.meta.dirname, 'fixtures', name);

describe('trace format detection', () => {
  it.each([
    ['azure-2023.csv', 'azure'],
    ['azure-2024.csv', 'azure'],
    ['burstgpt.csv', 'burstgpt'],
    ['custom.csv', 'csv'],
    ['mooncake.jsonl', 'mooncake'],
    ['otel.jsonl', 'otel'],
    ['openai-log.jsonl', 'openai-log'],
  ])('%s is %s', async (file, format) => {
    expect(await detectTraceFormat(fx(file))).toBe(format);
  });
});

describe('Azure LLM inference traces', () => {
  it('reads the 2023 date-times (7-digit fractions, UTC) and reports the bad rows by line', async () => {
    const t = await readTrace(fx('azure-2023.csv'));
    expect(t.format).toBe('azure');
    expect(t.count).toBe(4);
    expect(Array.from(t.inputTokens)).toEqual([374, 396, 879, 2046]);
    expect(Array.from(t.outputTokens)).toEqual([44, 109, 55, 12]);
    expect(t.timeMs[1]).toBeCloseTo(4314.579, 3);
    expect(t.startEpochMs).toBeCloseTo(Date.UTC(2023, 10, 16, 18, 15, 46, 680) + 0.59, 3);
    expect(t.spanMs).toBeCloseTo(8319.41, 2);
    expect(t.badRows).toEqual({
      count: 2,
      examples: ['line 5: timestamp "not-a-time" is not a date-time', 'line 6: output tokens "" is not a whole number ≥ 0'],
    });
    expect(badRowsNote(t)).toContain('skipped 2 bad row(s) of 6: line 5: timestamp "not-a-time" is not a date-time; line 6');
  });

  it('reads the 2024 date-times with their zone', async () => {
    const t = await readTrace(fx('azure-2024.csv'));
    expect(t.count).toBe(3);
    // epoch ms in a double keep about 0.2 µs: compare to the µs the format writes
    expect(t.startEpochMs).toBeCloseTo(Date.UTC(2024, 4, 10) + 9.93, 3);
    expect(Array.from(t.timeMs)).toEqual([0, expect.closeTo(502.07, 3), expect.closeTo(1240.07, 3)]);
  });

  it('parses zones east and west of UTC', () => {
    expect(parseDateTimeMs('2024-05-10 02:00:00+02:00')).toBe(Date.UTC(2024, 4, 10));
    expect(parseDateTimeMs('2024-05-09T19:30:00-0430')).toBe(Date.UTC(2024, 4, 10));
    expect(parseDateTimeMs('10/05/2024')).toBeNaN();
  });

  it('reads date-times by hand as Date.UTC does, and refuses what is not one', () => {
    // every day of four years (leap years and century rules by Date.UTC), with a fraction
    for (let day = 0; day < 4 * 366; day += 1) {
      const ms = Date.UTC(1999, 11, 1 + day, day % 24, day % 60, (day * 7) % 60, day % 1000);
      const text = new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
      expect(parseDateTimeMs(text)).toBe(ms);
    }
    expect(parseDateTimeMs('2100-03-01T00:00:00Z')).toBe(Date.UTC(2100, 2, 1));
    expect(parseDateTimeMs('1969-12-31 23:59:59.5')).toBe(-500);
    expect(parseDateTimeMs('2023-11-16 18:15:46.6805900')).toBeCloseTo(Date.UTC(2023, 10, 16, 18, 15, 46, 680) + 0.59, 6);
    expect(parseDateTimeMs('2024-05-10 00:00:00.123456789123')).toBeCloseTo(Date.UTC(2024, 4, 10) + 123.456789, 6);
    expect(parseDateTimeMs('2024-05-10 00:00:00 Z')).toBe(Date.UTC(2024, 4, 10));
    for (const bad of [
      '2024-13-10 00:00:00',
      '2024-05-00 00:00:00',
      '2024-05-10 24:00:00',
      '2024-05-10 00:60:00',
      '2024-05-10',
      '2024-05-10 00:00:00.',
      '2024-05-10 00:00:00x',
      '2024-05-10 00:00:00+2',
      '2024/05/10 00:00:00',
      '2024-05-10 00:00:0a',
    ])
      expect(parseDateTimeMs(bad), bad).toBeNaN();
  });
});

describe('BurstGPT', () => {
  it('reads seconds since the start, the model and a failed (0-token) response as logged', async () => {
    const t = await readTrace(fx('burstgpt.csv'));
    expect(t.format).toBe('burstgpt');
    expect(Array.from(t.timeMs)).toEqual([0, 40_000, 113_000, 125_000, 165_000]);
    expect(t.startEpochMs).toBeNull();
    expect(Array.from(t.outputTokens)).toEqual([18, 230, 276, 0, 33]);
    expect(Object.fromEntries(modelCounts(t))).toEqual({ ChatGPT: 3, 'GPT-4': 2 });
    expect(t.sessions).toBe(0);
  });
});

describe('CSV with a column mapping', () => {
  it('maps columns by name, with a unit on the timestamp; quoted fields are honoured', async () => {
    const columns = parseColumns('timestamp=when_ms:ms,input=prompt,output=answer,model=llm,session=conv');
    expect(columns).toEqual({ timestamp: 'when_ms', timestampUnit: 'ms', input: 'prompt', output: 'answer', model: 'llm', session: 'conv' });
    const t = await readTrace(fx('custom.csv'), { columns });
    expect(t.count).toBe(3);
    expect(Array.from(t.timeMs)).toEqual([0, 500, 1000]);
    expect(t.models).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(Array.from(t.sessionIndex)).toEqual([0, 1, 0]);
    expect(t.badRows.examples).toEqual(['line 3: input tokens "1,5" is not a whole number ≥ 0']);
  });

  it('names the missing column and the header it has', async () => {
    await expect(readTrace(fx('custom.csv'))).rejects.toThrow(
      `${fx('custom.csv')}: the header has no timestamp column I recognise; its columns are when_ms, prompt, answer, llm, conv; map them with --columns timestamp=…,input=…,output=…`,
    );
  });

  it('rejects a mapping that is not field=column', () => {
    expect(() => parseColumns('timestamp=a,tokens=b')).toThrow(
      '--columns "timestamp=a,tokens=b": "tokens=b" is not field=column; fields are timestamp, input, output, model, session',
    );
  });

  it('reads counts written other ways than plain digits as Number does, and short rows as bad rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-csv-'));
    const file = join(dir, 'odd.csv');
    writeFileSync(file, 't,in,out\n1, 12 ,3\n2,12.0,1e2\n3,"4",5\n4,5\n5,-1,2\n');
    const t = await readTrace(file, { columns: { timestamp: 't', input: 'in', output: 'out' } });
    expect(Array.from(t.inputTokens)).toEqual([12, 12, 4]);
    expect(Array.from(t.outputTokens)).toEqual([3, 100, 5]);
    expect(t.badRows.examples).toEqual(['line 5: output tokens "" is not a whole number ≥ 0', 'line 6: input tokens "-1" is not a whole number ≥ 0']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('splits quoted fields with doubled quotes', () => {
    expect(splitCsvLine('a,"b,""c""",d')).toEqual(['a', 'b,"c"', 'd']);
  });
});

describe('Mooncake JSONL', () => {
  it('reads ms timestamps and the prefix blocks of each request', async () => {
    const t = await readTrace(fx('mooncake.jsonl'));
    expect(t.count).toBe(5);
    expect(Array.from(t.timeMs)).toEqual([0, 0, 3052, 3052, 5200]);
    expect(t.blockTokens).toBe(512);
    const blocks = (i: number) => Array.from(t.blockIds!.subarray(t.blockStart![i]!, t.blockStart![i + 1]!));
    expect(blocks(3)).toEqual([0, 42, 43, 44, 45]);
    expect(blocks(4)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 46]);
    expect(t.badRows.examples).toEqual(['line 5: input_length "lots" is not a whole number ≥ 0']);
  });
});

describe('OpenTelemetry GenAI spans (OTLP JSON)', () => {
  it('reads LLM spans (model, usage, start and duration), sorted by start; other spans are skipped', async () => {
    const t = await readTrace(fx('otel.jsonl'));
    expect(t.count).toBe(3);
    expect(Array.from(t.timeMs)).toEqual([0, 500, 1500]);
    expect(Array.from(t.inputTokens)).toEqual([812, 300, 1020]);
    expect(Array.from(t.outputTokens)).toEqual([95, 210, 40]);
    expect(t.modelIndex[1]).toBe(t.models.indexOf('gpt-4o'));
    expect(Array.from(t.durationMs!)).toEqual([1250, 2500, 500]);
    // one session per trace id
    expect(Array.from(t.sessionIndex)).toEqual([0, 1, 0]);
    expect(t.startEpochMs).toBe(1733500000000);
    expect(t.badRows.examples).toEqual(['line 2: span ddd19b7ec3c1b174: gen_ai.usage.input_tokens missing is not a whole number ≥ 0']);
  });
});

describe('OpenAI-style request logs', () => {
  it('reads the request model, usage, user as session and duration', async () => {
    const t = await readTrace(fx('openai-log.jsonl'));
    expect(t.count).toBe(3);
    expect(Array.from(t.timeMs)).toEqual([0, 2500, 7000]);
    expect(Array.from(t.inputTokens)).toEqual([412, 95, 530]);
    expect(t.models).toEqual(['gpt-4o-mini', 'gpt-4o']);
    expect(Array.from(t.sessionIndex)).toEqual([0, 1, 0]);
    expect(Array.from(t.durationMs!)).toEqual([1830, 950, 2400]);
    expect(t.badRows.examples).toEqual(['line 3: no timestamp (timestamp, start_time, created_at or created)']);
  });
});

describe('unusable files', () => {
  it('a file without one usable row is an error naming the file', async () => {
    const err = await readTrace(fx('bad-only.csv')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BenchError);
    expect((err as BenchError).code).toBe('INVALID_TRACE');
    expect((err as Error).message).toBe(
      `${fx('bad-only.csv')}: no usable row in this azure trace: all 2 rows are bad (line 2: timestamp "yesterday" is not a date-time; line 3: input tokens "x" is not a whole number ≥ 0)`,
    );
  });

  it('a missing file and an unknown --trace-format are named', async () => {
    await expect(readTrace('nope.csv')).rejects.toThrow('nope.csv: no such trace file');
    await expect(readTrace(fx('burstgpt.csv'), { format: 'parquet' as never })).rejects.toThrow(
      '--trace-format "parquet": expected one of azure, burstgpt, csv, mooncake, otel, openai-log',
    );
  });

  it('--trace-format overrides detection', async () => {
    // a BurstGPT file read as plain CSV with a mapping: same rows, no preset needed
    const t = await readTrace(fx('burstgpt.csv'), {
      format: 'csv',
      columns: parseColumns('timestamp=Timestamp:ms,input=Request tokens,output=Response tokens'),
    });
    expect(t.format).toBe('csv');
    expect(t.timeMs[1]).toBe(40);
  });
});
