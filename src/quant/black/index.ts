// Public surface of the IV & Greeks kernel (pure; runs in the browser).
export { IvStatus, IV_STATUS_NAMES, ivStatusName, type IvStatusCode } from './status.js';
export { black76Price, bsmPrice } from './price.js';
export { impliedVolBsm, impliedVolBlack76, type IvResult } from './implied.js';
export { bsmGreeks, toDeskUnits, GREEK_NAMES, DUAL_GREEK_NAMES, DESK_FACTORS, type Greeks, type GreekName, type GreekUnits } from './greeks.js';
export {
  ivAndGreeksBatch,
  ivBatch,
  greeksBatch,
  allocBsmInput,
  allocGreekColumns,
  RIGHT_CALL,
  RIGHT_PUT,
  type BsmInput,
  type GreekColumns,
} from './batch.js';
export { normalisedBlackOtm, normalisedVega } from './normalised.js';
export { impliedNormalisedVolOtm } from './lets-be-rational.js';
export { MAX_IV_CONDITION_ERROR, solveBsmIv, solveBlack76Iv, lastStatus } from './core.js';
export { greeksLoop } from './greeks-kernel.js';
export { useWasmKernel, wasmKernelActive, wasmKernelLoadError } from './wasm-kernel.js';
