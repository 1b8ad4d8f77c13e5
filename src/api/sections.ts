/**
 * What every `AnalyticsState` provider shares: the five data sections it holds (each replaced whole, so a reader
 * always sees one consistent version), their accessors, and the listeners told which section changed. The providers
 * (a chain file, the live pipeline, the api role's copy off the bus) differ only in how the sections are filled.
 */
import { EventEmitter } from 'node:events';
import { emptySection, type ChainSummary, type GexJson, type IvTable, type RegimeState, type Section, type StateListener, type SurfaceState, type Topic } from './state.js';

export abstract class SectionStore {
  private readonly events = new EventEmitter();
  protected sChain: Section<ChainSummary>;
  protected sIv: Section<IvTable>;
  protected sSurface: Section<SurfaceState>;
  protected sGex: Section<GexJson>;
  protected sRegime: Section<RegimeState>;

  /** `pendingReason`: why every section is still empty (shown until the first data). */
  constructor(pendingReason?: (what: string) => string) {
    this.events.setMaxListeners(0);
    const empty = <T>(what: string): Section<T> => (pendingReason ? emptySection<T>('pending', pendingReason(what)) : emptySection<T>());
    this.sChain = empty('state');
    this.sIv = empty('IV table');
    this.sSurface = empty('surface');
    this.sGex = empty('GEX');
    this.sRegime = empty('regime');
  }

  chain(): Section<ChainSummary> {
    return this.sChain;
  }
  iv(): Section<IvTable> {
    return this.sIv;
  }
  surface(): Section<SurfaceState> {
    return this.sSurface;
  }
  gex(): Section<GexJson> {
    return this.sGex;
  }
  regime(): Section<RegimeState> {
    return this.sRegime;
  }

  subscribe(listener: StateListener): () => void {
    this.events.on('update', listener);
    return () => this.events.off('update', listener);
  }

  /** Tell the listeners that `topic` changed. */
  emit(topic: Topic): void {
    this.events.emit('update', topic);
  }

  /** Drop every listener (the provider's close). */
  protected dropListeners(): void {
    this.events.removeAllListeners();
  }
}
