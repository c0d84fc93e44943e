/**
 * Report and compare pages: one self-contained HTML file each, built from results.json only.
 * `bench report` and `bench compare` call these; nothing here knows the engine.
 */
export { invalidRuns, renderCompare } from './compare-page.ts';
export { checkComparable, compareTable, costVerdict, formatCompareTable, matchConfigurations, runChanges } from './compare.ts';
export { findingsOf } from './findings.ts';
export { paretoOptimal } from './frontier.ts';
export { renderReport } from './report-page.ts';
