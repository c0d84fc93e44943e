/** The sweep: the cartesian product of a scenario's axes, each point a named configuration. */
import { STRATEGY_SLOTS, type Scenario, type Strategies } from './schema.ts';

/** One point of the sweep: a name, its axis choices and the strategies they resolve to. */
export interface Configuration {
  name: string;
  axes: Record<string, string>;
  strategies: Strategies;
}

/** Every configuration of the scenario's sweep, in a stable order (the base strategies if none). */
export function expandSweep(scenario: Scenario): Configuration[] {
  const axes = STRATEGY_SLOTS.flatMap((slot) => {
    const choices = scenario.sweep[slot];
    return choices === undefined || Object.keys(choices).length === 0 ? [] : [{ slot, choices: Object.entries(choices) }];
  });
  let configs: Configuration[] = [{ name: '', axes: {}, strategies: scenario.strategies }];
  for (const axis of axes) {
    const next: Configuration[] = [];
    for (const c of configs) {
      for (const [label, value] of axis.choices) {
        next.push({
          name: c.name === '' ? `${axis.slot}=${label}` : `${c.name} ${axis.slot}=${label}`,
          axes: { ...c.axes, [axis.slot]: label },
          strategies: { ...c.strategies, [axis.slot]: value } as Strategies,
        });
      }
    }
    configs = next;
  }
  if (configs.length === 1 && configs[0]!.name === '') configs[0]!.name = 'baseline';
  return configs;
}

/**
 * Whether one `--only` selector names the configuration: its whole name, or terms separated by
 * spaces that each equal one of its axis choices, as `slot=label` or as the bare `label`
 * (`draft` names `streaming=draft` and not `streaming=plan+draft`; `routing=mini workers=8`
 * names one configuration of a two-axis sweep, `mini` all of its row).
 */
function selects(selector: string, c: Configuration): boolean {
  if (selector === c.name) return true;
  const terms = selector.split(' ').filter((t) => t !== '');
  if (terms.length === 0) return false;
  const choices = new Set(Object.entries(c.axes).flatMap(([slot, label]) => [label, `${slot}=${label}`]));
  return terms.every((t) => choices.has(t));
}

/**
 * The configurations `--only` names, in sweep order, and the selectors that named none (a typo
 * in one of several should not quietly run the others). Several selectors are separated by commas
 * (`--only draft,off`); the whole text is first tried as one selector, so a label holding a comma
 * still works.
 */
export function selectConfigurations(all: readonly Configuration[], only: string): { configurations: Configuration[]; unmatched: string[] } {
  const whole = all.filter((c) => selects(only.trim(), c));
  if (whole.length > 0) return { configurations: whole, unmatched: [] };
  const selectors = only
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unmatched = selectors.length === 0 ? [only] : selectors.filter((s) => !all.some((c) => selects(s, c)));
  return { configurations: all.filter((c) => selectors.some((s) => selects(s, c))), unmatched };
}

/** What an `--only` selector may name: every configuration's name and axis choices (for nearest-match suggestions). */
export function selectorNames(all: readonly Configuration[]): Set<string> {
  return new Set(all.flatMap((c) => [c.name, ...Object.entries(c.axes).flatMap(([slot, label]) => [label, `${slot}=${label}`])]));
}
