/** Gaussian hidden Markov models: fitting (Baum-Welch with restarts, BIC), ordering, filtering. Pure. */
export * from './types.js';
export { Rng } from './rng.js';
export { fitHmm, selectByBic, bic, parameterCount, type FitOptions, type FitResult, type SelectionResult } from './fit.js';
export { orderStates, stateNames, volatilityScore } from './order.js';
export { ForwardFilter, filterProbabilities, partialFilterStep, logLikelihood, smoothedPosteriorsWholeSample, viterbiWholeSample } from './inference.js';
export { sampleHmm } from './sample.js';
