// `manifold iv <chain-file> [--json]`: parity forwards per expiry and bid/mid/ask IV + Greeks per contract.
import type { Command } from 'commander';

interface IvOptions {
  json?: boolean;
  asOf?: string;
}

export function register(program: Command): void {
  program
    .command('iv')
    .description('implied volatility of a real option chain: parity forward/discount per expiry, bid/mid/ask IV and Greeks per contract')
    .argument('<chain-file>', 'Cboe quotedata CSV')
    .option('--json', 'print JSON: {underlying, as_of, spot, expiries: [...], contracts: [...]}')
    .option('--as-of <date>', 'trading date the quotes belong to (YYYY-MM-DD), instead of inferring it')
    .addHelpText(
      'after',
      '\nOnly out-of-the-money contracts (puts below the forward, calls at or above it) are inverted; the others keep\n' +
        "status 'not_otm'. Greeks are raw units at mid IV, per option: delta, gamma (per 1.00 of spot), vega (per 1.00\n" +
        'of vol), theta (per year), vanna. T is ACT/365 calendar time to the exact expiry instant.',
    )
    .action(async (file: string, opts: IvOptions) => {
      // A closed pipe (`| head`) ends the output quietly instead of crashing with EPIPE.
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0);
      });
      const { loadChainForCli } = await import('../chain-input.js');
      const { computeChainIv } = await import('../../analytics/chain-iv.js');
      const { ivStatusName } = await import('../../quant/black/status.js');
      const loaded = await loadChainForCli(file, { asOf: opts.asOf });
      const { chain } = loaded;
      const civ = computeChainIv(chain);
      const expiries = civ.expiries.map((e) => {
        const x = chain.expiries[e.expiryIndex];
        return {
          expiry: x.date,
          root: x.root,
          settlement: x.settlement,
          t: e.t,
          forward: e.forward,
          discount: e.discount,
          rate: e.rate,
          dividend_yield: e.dividendYield,
          method: e.method,
          pairs: e.pairs,
          status: ivStatusName(e.status),
        };
      });
      const num = (v: number, d = 6) => (Number.isFinite(v) ? Number(v.toPrecision(d + 2)) : null);
      if (opts.json) {
        const contracts = [];
        for (let i = 0; i < chain.size; i++) {
          const x = chain.expiries[chain.expiryIndex[i]];
          contracts.push({
            symbol: chain.symbol[i],
            expiry: x.date,
            root: x.root,
            right: chain.right[i] === 0 ? 'C' : 'P',
            strike: chain.strike[i],
            bid: num(chain.bid[i]),
            ask: num(chain.ask[i]),
            bid_iv: num(civ.bidIv[i]),
            mid_iv: num(civ.midIv[i]),
            ask_iv: num(civ.askIv[i]),
            delta: num(civ.delta[i]),
            gamma: num(civ.gamma[i]),
            vega: num(civ.vega[i]),
            theta: num(civ.theta[i]),
            vanna: num(civ.vanna[i]),
            status: ivStatusName(civ.status[i]),
            bid_status: ivStatusName(civ.bidStatus[i]),
            ask_status: ivStatusName(civ.askStatus[i]),
          });
        }
        const { printJson } = await import('../output.js');
        printJson({ underlying: chain.underlying, as_of: new Date(chain.asOfMs).toISOString(), spot: civ.spot, expiries, contracts }, true);
        return;
      }
      const counts = new Map<string, number>();
      for (let i = 0; i < chain.size; i++) counts.set(ivStatusName(civ.status[i]), (counts.get(ivStatusName(civ.status[i])) ?? 0) + 1);
      const w = process.stdout;
      w.write(`${chain.underlying} as of ${new Date(chain.asOfMs).toISOString()}  spot ${civ.spot}  contracts ${chain.size}\n`);
      w.write(`status: ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}\n\n`);
      w.write('expiry      root  T(y)      forward      discount  rate     div.yield method            pairs\n');
      for (const e of expiries) {
        w.write(
          `${e.expiry}  ${e.root.padEnd(5)} ${e.t.toFixed(5).padStart(8)} ${(num(e.forward, 8) ?? NaN).toString().padStart(12)} ${e.discount.toFixed(6).padStart(9)} ${(e.rate * 100).toFixed(3).padStart(7)}% ${(e.dividend_yield * 100).toFixed(3).padStart(7)}% ${e.method.padEnd(17)} ${e.pairs}\n`,
        );
      }
      w.write('\nsymbol                 bid       ask       bid_iv   mid_iv   ask_iv   delta     gamma       vega      status\n');
      const f = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : '-');
      for (let i = 0; i < chain.size; i++) {
        w.write(
          `${chain.symbol[i].padEnd(22)} ${f(chain.bid[i], 2).padStart(8)} ${f(chain.ask[i], 2).padStart(9)} ${f(civ.bidIv[i], 4).padStart(8)} ${f(civ.midIv[i], 4).padStart(8)} ${f(civ.askIv[i], 4).padStart(8)} ${f(civ.delta[i], 4).padStart(8)} ${f(civ.gamma[i], 6).padStart(10)} ${f(civ.vega[i], 3).padStart(10)}  ${ivStatusName(civ.status[i])}\n`,
        );
      }
    });
}
