/**
 * Prompt compression and context pruning: how the RAG context is sized and whether the chunk
 * holding the answer makes it in. Input tokens follow the sizes; quality follows recall.
 */
import type { CompressionSpec, LlmStep } from '../scenario/schema.ts';

type Rag = NonNullable<LlmStep['rag']>;

/** The step's RAG settings after the compression strategy's overrides. */
export function effectiveRag(rag: Rag, comp: CompressionSpec): Rag {
  return { ...rag, topK: comp.ragTopK ?? rag.topK, chunkTokens: comp.chunkTokens ?? rag.chunkTokens };
}

/**
 * Probability that the needed fact is among the top-k chunks: each retrieved chunk holds it with
 * probability c / (c + h) for chunk size c (bigger chunks hold more), independently, so
 * recall = 1 − (1 − c/(c + h))^k.
 */
export function ragRecall(rag: Rag): number {
  const q = rag.chunkTokens / (rag.chunkTokens + rag.halfRecallChunkTokens);
  return 1 - Math.pow(1 - q, rag.topK);
}
