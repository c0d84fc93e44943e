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
