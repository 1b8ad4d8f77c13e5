// Public surface of the SVI module: raw SVI, arbitrage-free slice calibration, eSSVI surface, checks, queries.
export * from './raw.js';
export { butterflyReport, checkRange, minGOn, sinhGrid, uniformGrid, type ButterflyReport } from './butterfly.js';
export { fitSviOwnUnverified, fitSviSlice, ssviSafe, ssviToRaw, type CalendarFloor, type CalendarOutcome, type SliceQuotes, type SviFitOptions, type SviFitResult, type SviFitStatus, type UnverifiedFit } from './calibrate.js';
export { sliceQuality, type SliceQuality } from './quality.js';
export {
  calendarGap,
  calendarOk,
  essviButterflyViolation,
  essviToRaw,
  essviW,
  fitEssvi,
  type EssviFitNode,
  type EssviNode,
  type EssviSliceInput,
} from './essvi.js';
export { CALENDAR_REL_TOL, calendarGrid, isotonicIncreasing, rawCalendarGap, rawCalendarViolations, type CalendarGap, type CalendarViolation, type RawSliceRef } from './calendar.js';
export { createSurfaceQuery, type SurfaceQuery } from './query.js';
