// CSV in/out for `manifold greeks` and `manifold bench greeks`: columns right,spot,strike,expiry_years,rate,
// dividend_yield,price (and/or sigma); extra columns are kept verbatim for pass-through.
import { allocBsmInput, type BsmInput } from '../quant/black/batch.js';
import { UserError } from './errors.js';

export const REQUIRED_COLUMNS = ['right', 'spot', 'strike', 'expiry_years', 'rate', 'dividend_yield'] as const;

export interface GreeksCsv {
  header: string[];
  /** Raw cells per row (for pass-through). */
  rows: string[][];
  input: Required<BsmInput>;
  hasPrice: boolean;
  hasSigma: boolean;
  /** Rows whose cells could not be read (bad number, bad right): counted, kept, flagged BAD_INPUT. */
  badRows: number;
}

/** Split one CSV line (RFC 4180 quotes supported; numeric files rarely need them). */
export function splitCsv(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function num(cell: string | undefined): number {
  if (cell === undefined) return NaN;
  const t = cell.trim();
  if (t === '') return NaN;
  const v = Number(t);
  return Number.isNaN(v) && t.toLowerCase() !== 'nan' ? NaN : v;
}

/** Parse the CSV text. Throws UserError for a missing header column; bad cells make the row BAD_INPUT. */
export function parseGreeksCsv(text: string, source: string): GreeksCsv {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new UserError(`${source}: empty file`);
  const header = splitCsv(lines[0]).map((h) => h.trim());
  const idx = (name: string) => header.findIndex((h) => h.toLowerCase() === name);
  for (const c of REQUIRED_COLUMNS) if (idx(c) < 0) throw new UserError(`${source}: missing column '${c}' (need ${REQUIRED_COLUMNS.join(',')},price or sigma)`);
  const iPrice = idx('price');
  const iSigma = idx('sigma');
  if (iPrice < 0 && iSigma < 0) throw new UserError(`${source}: need a 'price' or a 'sigma' column`);
  const n = lines.length - 1;
  const input = allocBsmInput(n);
  const rows: string[][] = new Array(n);
  const [iR, iS, iK, iT, iRate, iQ] = REQUIRED_COLUMNS.map(idx);
  let badRows = 0;
  for (let j = 0; j < n; j++) {
    const cells = splitCsv(lines[j + 1]);
    rows[j] = cells;
    const r = (cells[iR] ?? '').trim().toUpperCase();
    input.right[j] = r === 'C' || r === 'CALL' ? 0 : r === 'P' || r === 'PUT' ? 1 : 255;
    input.spot[j] = num(cells[iS]);
    input.strike[j] = num(cells[iK]);
    input.t[j] = num(cells[iT]);
    input.rate[j] = num(cells[iRate]);
    input.dividendYield[j] = num(cells[iQ]);
    input.price[j] = iPrice >= 0 ? num(cells[iPrice]) : NaN;
    input.sigma[j] = iSigma >= 0 ? num(cells[iSigma]) : NaN;
    if (input.right[j] === 255 || cells.length < header.length) badRows++;
  }
  return { header, rows, input, hasPrice: iPrice >= 0, hasSigma: iSigma >= 0, badRows };
}
