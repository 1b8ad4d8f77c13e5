// The gateway's JSON types, shared with the server (type-only imports: nothing of the server is bundled).
export type {
  SurfaceJson,
  SurfaceSliceJson,
  SviParams,
  SliceQuotes,
  GexJson,
  RegimeNow,
  RegimeHistoryPoint,
  HealthState,
  StageHealth,
  FeedHealth,
} from '../../src/api/state';
