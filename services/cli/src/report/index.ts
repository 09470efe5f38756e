export { renderReport } from './render.ts';
export { loadReportData } from './load.ts';
export { runReport, defaultReportFile } from './command.ts';
export type { ReportCommandOptions, ReportCommandResult } from './command.ts';
export type { ReportData, ReportJob, ReportModel, ReportQuality, ReportResults, ReportTokenBucket } from './data.ts';
