/**
 * Import rules of llm-scale-bench (see shared design: "Layers and folders"). A folder imports only
 * from its own level or the levels below it; no cycles; only src/cli imports mock-llm.
 * Levels, lowest first: one entry per level, folders of one level may import each other.
 */
const LEVELS = [
  ['core'],
  ['provider'],
  ['scenario', 'workload', 'trace'],
  ['results'],
  ['metrics'],
  ['llm', 'strategies'],
  ['agent'],
  ['engine'],
  ['live'],
  // a run writes its findings (report) and the gate runs sweeps; the statistics and the config
  // diff the compare page shares with the gate live in core, so report no longer imports gate
  ['report'],
  ['sweep'],
  ['gate'],
  ['cli'],
];

const above = (i) => LEVELS.slice(i + 1).flat();
const layerRules = LEVELS.flatMap((folders, i) =>
  i === LEVELS.length - 1
    ? []
    : [
        {
          name: `layer-${folders.join('-')}`,
          comment: `${folders.join(', ')} import only from their own level or below: not from ${above(i).join(', ')}`,
          severity: 'error',
          from: { path: `^src/(${folders.join('|')})/` },
          to: { path: `^src/(${above(i).join('|')})/` },
        },
      ],
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle means two modules are one concept in two files, or a layer is upside down.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'only-cli-imports-mock-llm',
      comment: 'mock-llm is a server over src/provider; the harness reaches it over HTTP, only the CLI starts it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^mock-llm/' },
    },
    {
      name: 'mock-llm-over-core-and-provider',
      comment: 'mock-llm serves the provider model; it does not reach into the harness above it.',
      severity: 'error',
      from: { path: '^mock-llm/' },
      to: { path: '^src/', pathNot: '^src/(core|provider)/' },
    },
    {
      name: 'not-to-test',
      comment: 'Code never imports tests.',
      severity: 'error',
      from: { path: '^(src|mock-llm|bin)/' },
      to: { path: '^test/' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
