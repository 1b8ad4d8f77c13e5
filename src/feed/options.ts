/**
 * `{...defaults, ...opts}` lets an explicit `undefined` (an optional CLI flag passed through) erase a default — a
 * reconnect delay of undefined becomes setTimeout(NaN) = 1 ms, i.e. a retry storm. Merge with this instead.
 */
export function withDefaults<D extends object, O extends object>(defaults: D, opts: O): D & O {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) out[k] = v;
  return out as D & O;
}
