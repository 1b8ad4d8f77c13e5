import { UserError } from './errors.js';

// Small helpers shared by commands that print data.

/** Print one JSON document (pretty unless `compact`) followed by a newline. Non-finite numbers become null. */
export function printJson(value: unknown, compact = false): void {
  process.stdout.write(JSON.stringify(value, jsonReplacer, compact ? undefined : 2) + '\n');
}

/** JSON.stringify replacer: NaN/Infinity → null, typed arrays → plain arrays. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** Parse a CLI number option; a bad value is the user's mistake, so it throws a UserError. */
export function parseNumberOption(name: string, raw: string, min = -Infinity, max = Infinity): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < min || v > max) {
    throw new UserError(`${name} must be a number in [${min}, ${max}], got '${raw}'`);
  }
  return v;
}
