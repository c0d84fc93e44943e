/**
 * RouteLLM's routing metrics over a sweep of routing strategies (Ong et al., 2024, "RouteLLM:
 * Learning to Route LLMs with Preference Data"): for a router between a weak and a strong model,
 *   PGR (performance gap recovered) = (q(router) − q(weak)) / (q(strong) − q(weak)),
 *   APGR = the area under PGR against the share of calls sent to the strong model (0–100%),
 *   CPT(x%) = the smallest strong-call share at which PGR reaches x%.
 * Points come from configurations that differ only in routing; the two single-model
 * configurations are the ends of the curve.
 */
import type { ConfigResult, ResultsFile } from '../results/schema.ts';
import type { RoutingSpec } from '../scenario/schema.ts';

/** One point of a routing curve. */
interface RoutingPoint {
  config: string;
  label: string;
  strongCallShare: number;
  quality: number;
  costPerDayUsd: number;
  pgr: number;
}

/** The curve of one group (one choice of every other axis) and one weak/strong pair. */
export interface RoutingCurve {
  /** The other axes' choices, e.g. `{ workers: '16' }`. */
  group: Record<string, string>;
  weak: string;
  strong: string;
  weakQuality: number;
  strongQuality: number;
  points: RoutingPoint[];
  /** Area under PGR vs strong-call share, 0–1 (0.5 = no better than random routing). */
  apgr: number;
  /** Strong-call share needed for 50% / 80% PGR (null when never reached). */
  cpt50: number | null;
  cpt80: number | null;
}

/** Routing curves of a results file (empty when the sweep has no routing axis with both ends). */
export function routingCurves(results: ResultsFile): RoutingCurve[] {
  const config = results.scenario.config as { sweep?: { routing?: Record<string, RoutingSpec> } };
  const specs = config.sweep?.routing;
  if (specs === undefined) return [];
  const groups = new Map<string, ConfigResult[]>();
  for (const c of results.configurations) {
    if (c.axes.routing === undefined) continue;
    const key = JSON.stringify(Object.entries(c.axes).filter(([k]) => k !== 'routing'));
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const curves: RoutingCurve[] = [];
  for (const [key, configs] of groups) {
    const pairs = new Map<string, [string, string]>();
    for (const c of configs) {
      const s = specs[c.axes.routing!];
      if (s?.type === 'cascade') pairs.set(s.models.join('|'), s.models);
      if (s?.type === 'router') pairs.set(`${s.small}|${s.large}`, [s.small, s.large]);
    }
    for (const [weak, strong] of pairs.values()) {
      const single = (m: string) => configs.find((c) => specs[c.axes.routing!]?.type === 'single' && (specs[c.axes.routing!] as { model: string }).model === m);
      const w = single(weak);
      const st = single(strong);
      if (w === undefined || st === undefined) continue;
      const qw = w.quality.share;
      const qs = st.quality.share;
      const gap = qs - qw;
      const pgr = (q: number) => (gap === 0 ? 0 : (q - qw) / gap);
      const points: RoutingPoint[] = [
        point(w, 0, pgr(qw)),
        ...configs
          .filter((c) => {
            const s = specs[c.axes.routing!];
            return (
              (s?.type === 'cascade' && s.models[0] === weak && s.models[1] === strong) || (s?.type === 'router' && s.small === weak && s.large === strong)
            );
          })
          .map((c) => point(c, c.routing?.strongCallShare ?? 0, pgr(c.quality.share))),
        point(st, 1, pgr(qs)),
      ].sort((a, b) => a.strongCallShare - b.strongCallShare);
      curves.push({
        group: Object.fromEntries(JSON.parse(key) as Array<[string, string]>),
        weak,
        strong,
        weakQuality: qw,
        strongQuality: qs,
        points,
        apgr: area(points),
        cpt50: cpt(points, 0.5),
        cpt80: cpt(points, 0.8),
      });
    }
  }
  return curves;
}

function point(c: ConfigResult, share: number, pgr: number): RoutingPoint {
  return { config: c.name, label: c.axes.routing!, strongCallShare: share, quality: c.quality.share, costPerDayUsd: c.cost.perDayUsd, pgr };
}

/** Trapezoid area under PGR over strong-call share (points sorted by share, spanning 0..1). */
export function area(points: ReadonlyArray<{ strongCallShare: number; pgr: number }>): number {
  let a = 0;
  for (let i = 1; i < points.length; i++) {
    const p = points[i - 1]!;
    const q = points[i]!;
    a += ((q.strongCallShare - p.strongCallShare) * (p.pgr + q.pgr)) / 2;
  }
  return a;
}

/** The smallest strong-call share whose PGR reaches `target`, interpolating between points. */
export function cpt(points: ReadonlyArray<{ strongCallShare: number; pgr: number }>, target: number): number | null {
  for (let i = 0; i < points.length; i++) {
    const q = points[i]!;
    if (q.pgr < target) continue;
    if (i === 0) return q.strongCallShare;
    const p = points[i - 1]!;
    return p.strongCallShare + ((target - p.pgr) / (q.pgr - p.pgr)) * (q.strongCallShare - p.strongCallShare);
  }
  return null;
}
