/**
 * An `AnalyticsState` computed from one option chain file (the shipped `data/chains/SPX_2023-04-14_eod.csv` unless
 * told otherwise): load → chain IV → SVI surface → GEX, plus the regime from the shipped history. It changes only when
 * reloaded (POST /api/v1/admin/reload), which is what `manifold serve` runs until the live pipeline (issue 10)
 * provides a streaming implementation of the same interface.
 */
import { SectionStore } from './sections.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OptionChain } from '../market/chain.js';
import { createLogger } from '../util/log.js';
import { ModuleUnavailable } from './modules.js';
import {
  computeGexSection,
  computeIvSection,
  computeRegimeSection,
  computeSurfaceSection,
  loadChain,
  summariseChain,
  GEX_MODELS,
  type ChainIvLike,
  type SurfaceFitLike,
} from './analytics-adapters.js';
import {
  ReloadError,
  type AnalyticsState,
  type HealthState,
  type ReloadRequest,
  type ReloadResult,
  type Section,
  type SectionStatus,
  type StageHealth,
} from './state.js';

const log = createLogger('api.chain-provider');

/** The package root (where package.json is), found from this file so that it works from src/ (tsx) and dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export const DEFAULT_CHAIN = 'data/chains/SPX_2023-04-14_eod.csv';

export interface ChainFileProviderOptions {
  /** Chain file path (absolute or relative to the working directory). Default: the shipped SPX chain. */
  chainPath?: string;
  /** GEX positioning model. Default `naive`. */
  gexModel?: string;
  /** Local data folder (config `dataDir`): regime history updates are read from there. */
  dataDir?: string;
}

interface StageRecord {
  status: SectionStatus;
  lastMs: number | null;
  updatedAt: number | null;
  errors: number;
  lastError?: string;
}

const STAGES = ['load', 'iv', 'surface', 'gex', 'regime'] as const;
type Stage = (typeof STAGES)[number];

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class ChainFileProvider extends SectionStore implements AnalyticsState {
  private chainPath: string;
  private gexModel: string;
  private readonly dataDir: string | undefined;
  private chainObj: OptionChain | null = null;
  private badRows = 0;
  private loadedAt: number | null = null;
  private stages: Record<Stage, StageRecord>;
  private healthUpdatedAt = Date.now();
  /** Serialises reloads: a second request waits for the first instead of interleaving two half-computed states. */
  private running: Promise<unknown> = Promise.resolve();

  private constructor(opts: ChainFileProviderOptions) {
    super();
    this.chainPath = resolve(opts.chainPath ?? join(packageRoot(), DEFAULT_CHAIN));
    this.gexModel = opts.gexModel ?? 'naive';
    this.dataDir = opts.dataDir;
    this.stages = Object.fromEntries(
      STAGES.map((s) => [s, { status: 'pending', lastMs: null, updatedAt: null, errors: 0 } satisfies StageRecord]),
    ) as Record<Stage, StageRecord>;
  }

  /**
   * Load the chain and compute every section. Throws ReloadError only when the chain file itself cannot be used
   * (missing, unreadable, malformed): analytics failures become section errors, served as such.
   */
  static async open(opts: ChainFileProviderOptions = {}): Promise<ChainFileProvider> {
    const p = new ChainFileProvider(opts);
    if (!GEX_MODELS.includes(p.gexModel)) throw new ReloadError(`unknown GEX model '${p.gexModel}' (one of ${GEX_MODELS.join(', ')})`);
    if (!existsSync(p.chainPath) || !statSync(p.chainPath).isFile()) throw new ReloadError(`chain file ${p.chainPath} does not exist`, 404);
    await p.computeAll(true);
    if (p.sChain.status === 'error') throw new ReloadError(`cannot load chain ${p.chainPath}: ${p.sChain.reason}`);
    return p;
  }

  health(): Section<HealthState> {
    const now = Date.now();
    const pipeline: StageHealth[] = STAGES.map((name) => {
      const s = this.stages[name];
      const h: StageHealth = {
        name,
        status: s.status,
        last_ms: s.lastMs,
        rate: 0,
        lag_ms: s.updatedAt === null ? null : now - s.updatedAt,
        errors: s.errors,
      };
      if (s.lastError !== undefined) h.last_error = s.lastError;
      return h;
    });
    const ok = this.chainObj !== null;
    return {
      status: 'ok',
      updatedAt: this.healthUpdatedAt,
      data: {
        feed: {
          source: `file:${basename(this.chainPath)}`,
          status: ok ? 'static' : 'down',
          msg_rate: 0,
          last_message_at: this.loadedAt,
          gaps: 0,
          reconnects: 0,
          bad_rows: this.badRows,
        },
        pipeline,
      },
    };
  }

  chainFiles(): string[] {
    const dir = dirname(this.chainPath);
    try {
      return readdirSync(dir)
        .filter((f) => f.toLowerCase().endsWith('.csv'))
        .sort();
    } catch {
      return [basename(this.chainPath)];
    }
  }

  gexModels(): string[] {
    return [...GEX_MODELS];
  }

  async reload(req: ReloadRequest): Promise<ReloadResult> {
    const run = this.running.then(() => this.reloadNow(req));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(req: ReloadRequest): Promise<ReloadResult> {
    let nextPath = this.chainPath;
    if (req.chain !== undefined) {
      // Only file names inside the current chain folder: the token protects the route, but a reload must never become
      // a way to make the server read arbitrary paths.
      if (req.chain !== basename(req.chain) || req.chain.startsWith('.')) throw new ReloadError('chain must be a file name without a path');
      if (!this.chainFiles().includes(req.chain)) throw new ReloadError(`chain file '${req.chain}' is not in the chain folder`, 404);
      nextPath = join(dirname(this.chainPath), req.chain);
    }
    if (req.gexModel !== undefined && !GEX_MODELS.includes(req.gexModel)) {
      throw new ReloadError(`unknown GEX model '${req.gexModel}' (one of ${GEX_MODELS.join(', ')})`);
    }
    // Only a model change with the same chain can skip the reload: GEX is the only stage that depends on the model.
    const chainChanged = req.chain !== undefined || req.gexModel === undefined;
    const prevPath = this.chainPath;
    this.chainPath = nextPath;
    if (req.gexModel !== undefined) this.gexModel = req.gexModel;
    if (chainChanged) {
      if (!(await this.computeAll(false))) {
        this.chainPath = prevPath;
        throw new ReloadError(`cannot load chain: ${this.lastLoadError}; still serving ${basename(prevPath)}`, 409);
      }
    } else {
      await this.computeGexOnly();
    }
    return {
      chain: basename(this.chainPath),
      gexModel: this.gexModel,
      updatedAt: Date.now(),
      sections: {
        chain: this.sChain.status,
        surface: this.sSurface.status,
        gex: this.sGex.status,
        regime: this.sRegime.status,
        health: 'ok',
      },
    };
  }

  async close(): Promise<void> {
    this.dropListeners();
  }

  /** Run one stage, recording its timing and outcome; returns the value or null (with the section set by `onError`). */
  private async stage<T>(name: Stage, f: () => Promise<T> | T): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    const rec = this.stages[name];
    const t0 = performance.now();
    try {
      const value = await f();
      rec.status = 'ok';
      rec.lastMs = performance.now() - t0;
      rec.updatedAt = Date.now();
      delete rec.lastError;
      return { ok: true, value };
    } catch (error) {
      rec.lastMs = performance.now() - t0;
      if (error instanceof ModuleUnavailable) {
        rec.status = 'unavailable';
        rec.lastError = error.message;
      } else {
        rec.status = 'error';
        rec.errors++;
        rec.lastError = describe(error);
        log.error({ stage: name, err: describe(error) }, 'stage failed');
      }
      return { ok: false, error };
    } finally {
      this.healthUpdatedAt = Date.now();
    }
  }

  private failed<T>(prev: Section<T>, error: unknown): Section<T> {
    const status: SectionStatus = error instanceof ModuleUnavailable ? 'unavailable' : 'error';
    return { status, updatedAt: prev.updatedAt, reason: describe(error), data: status === 'error' ? prev.data : null };
  }

  private chainIv: ChainIvLike | null = null;
  private lastLoadError = '';
  private surfaceFit: SurfaceFitLike | null = null;

  /** Returns false (state untouched, the failure recorded in health) when the chain file cannot be loaded. */
  private async computeAll(first: boolean): Promise<boolean> {
    const loaded = await this.stage('load', () => loadChain(this.chainPath));
    if (!loaded.ok) {
      // A failed first load leaves nothing to serve: the section says why. A failed reload keeps the state served.
      if (first) this.sChain = this.failed(this.sChain, loaded.error);
      this.lastLoadError = describe(loaded.error);
      this.emit('chain');
      this.emit('health');
      return false;
    }
    const { chain, report } = loaded.value;
    this.chainObj = chain;
    this.loadedAt = Date.now();
    this.badRows = countBadRows(report);
    this.sChain = { status: 'ok', updatedAt: Date.now(), data: summariseChain(chain, report, basename(this.chainPath)) };
    this.emit('chain');

    const iv = await this.stage('iv', () => computeIvSection(chain));
    if (iv.ok) {
      this.chainIv = iv.value.chainIv;
      this.sIv = { status: 'ok', updatedAt: Date.now(), data: iv.value.table };
    } else {
      this.chainIv = null;
      this.sIv = this.failed(this.sIv, iv.error);
    }
    this.emit('chain');

    this.surfaceFit = null;
    if (this.chainIv) {
      const civ = this.chainIv;
      const surf = await this.stage('surface', () => computeSurfaceSection(chain, civ));
      if (surf.ok) {
        this.surfaceFit = surf.value.fit;
        this.sSurface = { status: 'ok', updatedAt: Date.now(), data: surf.value.state };
      } else this.sSurface = this.failed(this.sSurface, surf.error);
    } else {
      this.sSurface = { status: 'unavailable', updatedAt: this.sSurface.updatedAt, reason: 'chain IV is not available', data: null };
    }
    this.emit('surface');
    await this.computeGexOnly();

    if (first) {
      const reg = await this.stage('regime', () => computeRegimeSection({ dataDir: this.dataDir }));
      this.sRegime = reg.ok ? { status: 'ok', updatedAt: Date.now(), data: reg.value } : this.failed(this.sRegime, reg.error);
      this.emit('regime');
    }
    this.emit('health');
    return true;
  }

  private async computeGexOnly(): Promise<void> {
    const chain = this.chainObj;
    const civ = this.chainIv;
    if (chain && civ) {
      const g = await this.stage('gex', () => computeGexSection(chain, civ, this.gexModel, this.surfaceFit));
      this.sGex = g.ok ? { status: 'ok', updatedAt: Date.now(), data: g.value } : this.failed(this.sGex, g.error);
    } else {
      this.sGex = { status: 'unavailable', updatedAt: this.sGex.updatedAt, reason: 'chain IV is not available', data: null };
    }
    this.emit('gex');
    this.emit('health');
  }
}

function countBadRows(report: unknown): number {
  if (report && typeof report === 'object') {
    const r = report as Record<string, unknown>;
    for (const key of ['rejected', 'badRows', 'bad_rows', 'skipped']) {
      const v = r[key];
      if (typeof v === 'number') return v;
      if (Array.isArray(v)) return v.length;
    }
  }
  return 0;
}
