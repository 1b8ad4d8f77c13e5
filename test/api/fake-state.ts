// A controllable AnalyticsState for gateway tests: synthetic sections (an SVI surface with known parameters, a GEX
// body with the contract's fields) and `bump(topic)` to emit updates at whatever rate a test needs. It exercises the
// gateway's mechanics (routes, validation, auth, streaming); the real analytics are tested through ChainFileProvider.
import { EventEmitter } from 'node:events';
import { sviW } from '../../src/quant/svi/raw.js';
import {
  ReloadError,
  type AnalyticsState,
  type GexJson,
  type HealthState,
  type IvTable,
  type ReloadRequest,
  type ReloadResult,
  type Section,
  type SurfaceState,
  type Topic,
  type ChainSummary,
  type RegimeState,
} from '../../src/api/state.js';

export class FakeState implements AnalyticsState {
  private events = new EventEmitter();
  version = 0;
  reloads: ReloadRequest[] = [];
  model = 'naive';
  /** Extra bytes added to the GEX body (to make stream messages large). */
  padding = '';

  constructor() {
    this.events.setMaxListeners(0);
  }

  private ok<T>(data: T): Section<T> {
    return { status: 'ok', updatedAt: 1_700_000_000_000 + this.version, data };
  }

  chain(): Section<ChainSummary> {
    return this.ok({
      underlying: 'SPX',
      as_of: '2023-04-14T20:00:00.000Z',
      as_of_date: '2023-04-14',
      spot: 4137.64,
      multiplier: 100,
      contracts: 4,
      source: 'fake',
      expiries: [{ index: 0, expiry: '2023-05-19', root: 'SPX', settlement: 'AM', expiry_ms: 1684503000000, contracts: 4 }],
      report: { rows: 4 },
    });
  }

  iv(): Section<IvTable> {
    const strikes = [4000, 4000, 4200, 4200];
    return this.ok({
      expiries: [{ index: 0, expiry: '2023-05-19', root: 'SPX', settlement: 'AM', t: 0.0958, forward: 4150, discount: 0.995, rate: 0.05, status: 'regression' }],
      rows: 4,
      status_codes: { '0': 'ok' },
      rowsOf: () => [0, 1, 2, 3],
      row: (i: number) => ({
        symbol: `SPX   230519${i % 2 ? 'P' : 'C'}0${strikes[i]}000`,
        expiry_index: 0,
        expiry: '2023-05-19',
        right: i % 2 ? 'P' : 'C',
        strike: strikes[i],
        k: Math.log(strikes[i] / 4150),
        bid: 10,
        ask: 11,
        bid_iv: 0.17,
        mid_iv: 0.175,
        ask_iv: NaN,
        status: 0,
        delta: 0.4,
        gamma: 0.001,
        vega: 5,
      }),
    });
  }

  surface(): Section<SurfaceState> {
    const params = (t: number) => ({ a: 0.02 * t, b: 0.1 * Math.sqrt(t), rho: -0.6, m: 0.02, sigma: 0.1 });
    const ts = [0.02, 0.1, 0.5, 1];
    return this.ok({
      json: {
        underlying: 'SPX',
        as_of: '2023-04-14T20:00:00.000Z',
        spot: 4137.64,
        calendar_free: true,
        slices: ts.map((t, i) => ({
          expiry: `2023-0${5 + i}-19`,
          settlement: 'PM',
          t,
          forward: 4150,
          discount: 0.99,
          quotes: 40,
          svi: params(t),
          rmse_vol: 0.002 + this.version * 1e-6,
          in_band: 0.95,
          max_abs_z: 1.5,
          min_g: 0.01,
          butterfly_free: i !== 2,
          atm_vol: Math.sqrt(sviW(params(t), 0) / t),
        })),
      },
      volAt: (k: number, t: number) => Math.sqrt(sviW(params(t), k) / t),
      gridModel: 'svi',
      quotes: ts.map((t, i) => ({
        expiry: `2023-0${5 + i}-19`,
        t,
        forward: 4150,
        k: [-0.1, 0, 0.05],
        strike: [3755, 4150, 4363],
        bid_iv: [0.2, 0.15, 0.13],
        ask_iv: [0.21, 0.16, null],
        mid_iv: [0.205, 0.155, 0.135],
      })),
    });
  }

  gex(): Section<GexJson> {
    return this.ok({
      underlying: 'SPX',
      as_of: '2023-04-14T20:00:00.000Z',
      spot: 4137.64,
      model: this.model,
      total_gex: 1.5e9 + this.version,
      flip: 4050,
      call_wall: 4200,
      put_wall: 4000,
      abs_gamma_strike: 4100,
      by_expiry: [{ expiry: '2023-05-19', gex: 1.5e9 }],
      by_strike: [
        { strike: 4000, call_gex: 1e8, put_gex: -3e8, net_gex: -2e8 },
        { strike: 4200, call_gex: 4e8, put_gex: -1e8, net_gex: 3e8 },
      ],
      profile: [
        { spot: 3900, gex: -1e9 },
        { spot: 4137.64, gex: 1.5e9 },
      ],
      ...(this.padding ? { padding: this.padding } : {}),
    });
  }

  regime(): Section<RegimeState> {
    return this.ok({
      now: { as_of: '2023-04-14', state: 0, label: 'calm', labels: ['calm', 'stressed'], probabilities: [0.8, 0.2] },
      history: [{ date: '2023-04-13', state: 0, probabilities: [0.7, 0.3] }],
    });
  }

  health(): Section<HealthState> {
    return this.ok({
      feed: { source: 'fake', status: 'static', msg_rate: 0, last_message_at: null, gaps: 0, reconnects: 0, bad_rows: 0 },
      pipeline: [{ name: 'load', status: 'ok', last_ms: 1, rate: 0, lag_ms: 0, errors: 0 }],
    });
  }

  subscribe(listener: (topic: Topic) => void): () => void {
    this.events.on('update', listener);
    return () => this.events.off('update', listener);
  }

  bump(topic: Topic): void {
    this.version++;
    this.events.emit('update', topic);
  }

  chainFiles(): string[] {
    return ['fake.csv'];
  }
  gexModels(): string[] {
    return ['naive', 'all-short'];
  }

  async reload(req: ReloadRequest): Promise<ReloadResult> {
    if (req.chain !== undefined && req.chain !== 'fake.csv') throw new ReloadError(`chain file '${req.chain}' is not in the chain folder`, 404);
    if (req.gexModel !== undefined && !this.gexModels().includes(req.gexModel)) throw new ReloadError(`unknown GEX model '${req.gexModel}'`);
    this.reloads.push(req);
    if (req.gexModel) this.model = req.gexModel;
    this.bump('gex');
    return { chain: 'fake.csv', gexModel: this.model, updatedAt: Date.now(), sections: { chain: 'ok', surface: 'ok', gex: 'ok', regime: 'ok', health: 'ok' } };
  }

  async close(): Promise<void> {}
}
