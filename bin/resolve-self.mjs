// Module resolution hook: `import … from 'llm-scale-bench'` in a scenario file anywhere on disk
// resolves to this checkout's public entry, so a scenario need not live inside a package that
// depends on llm-scale-bench.
const ENTRY = new URL('../src/index.ts', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'llm-scale-bench') return nextResolve(ENTRY, context);
  return nextResolve(specifier, context);
}
