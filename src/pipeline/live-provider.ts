/**
 * The `AnalyticsState` of the live pipeline: the gateway, the dashboard and the console monitor read the latest
 * sections the pipeline computed. Sections are replaced whole (never mutated), so a reader always sees one
 * consistent version; listeners hear which section changed.
 */
import { SectionStore } from '../api/sections.js';
import {
  ReloadError,
  emptySection,
  type AnalyticsState,
  type ChainSummary,
  type GexJson,
  type HealthState,
  type IvTable,
  type RegimeState,
  type ReloadRequest,
  type ReloadResult,
  type Section,
  type SurfaceState,
} from '../api/state.js';

export interface LiveControl {
  /** The positioning models GEX can use, and a switch between them (takes effect at the next cycle). */
  gexModels(): string[];
  gexModel(): string;
  setGexModel(model: string): void;
  healthNow(): HealthState;
}

export class LiveProvider extends SectionStore implements AnalyticsState {
  private control: LiveControl | null = null;

  attach(control: LiveControl): void {
    this.control = control;
  }

  /** Replace one section and tell the listeners. */
  set(topic: 'chain', s: Section<ChainSummary>): void;
  set(topic: 'iv', s: Section<IvTable>): void;
  set(topic: 'surface', s: Section<SurfaceState>): void;
  set(topic: 'gex', s: Section<GexJson>): void;
  set(topic: 'regime', s: Section<RegimeState>): void;
  set(topic: 'chain' | 'iv' | 'surface' | 'gex' | 'regime', s: Section<unknown>): void {
    if (topic === 'chain') this.sChain = s as Section<ChainSummary>;
    else if (topic === 'iv') this.sIv = s as Section<IvTable>;
    else if (topic === 'surface') this.sSurface = s as Section<SurfaceState>;
    else if (topic === 'gex') this.sGex = s as Section<GexJson>;
    else this.sRegime = s as Section<RegimeState>;
    this.emit(topic === 'iv' ? 'chain' : topic);
  }

  health(): Section<HealthState> {
    if (!this.control) return emptySection();
    return { status: 'ok', updatedAt: Date.now(), data: this.control.healthNow() };
  }

  /** A live source has no chain files to switch between. */
  chainFiles(): string[] {
    return [];
  }

  gexModels(): string[] {
    return this.control?.gexModels() ?? [];
  }

  async reload(req: ReloadRequest): Promise<ReloadResult> {
    if (req.chain !== undefined) throw new ReloadError('the live pipeline follows its feed: a chain file cannot be loaded into it', 409);
    const c = this.control;
    if (!c) throw new ReloadError('the live pipeline is not running', 409);
    if (req.gexModel !== undefined) {
      if (!c.gexModels().includes(req.gexModel)) throw new ReloadError(`unknown GEX model '${req.gexModel}' (one of ${c.gexModels().join(', ')})`);
      c.setGexModel(req.gexModel);
    }
    return {
      chain: this.sChain.data?.source ?? 'live',
      gexModel: c.gexModel(),
      updatedAt: Date.now(),
      sections: { chain: this.sChain.status, surface: this.sSurface.status, gex: this.sGex.status, regime: this.sRegime.status, health: 'ok' },
    };
  }

  async close(): Promise<void> {
    this.dropListeners();
  }
}
