// The normal density/distribution GEX uses: the project's full-precision ones (src/quant/special).
export { normCdf, normPdf, ONE_OVER_SQRT_TWO_PI as INV_SQRT_2PI } from '../special/normal.js';
