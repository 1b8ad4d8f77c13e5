// GEX arithmetic: books of contracts, positioning models, Greeks and exposures, aggregates, profile and flip.
export * from './book.js';
export * from './positioning.js';
export * from './normal.js';
export * from './greeks.js';
export * from './aggregate.js';
export * from './roots.js';
export * from './profile.js';
export * from './summary.js';
