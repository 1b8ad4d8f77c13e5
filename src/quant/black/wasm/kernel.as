// AssemblyScript source of the WebAssembly IV and Greeks kernel (compiled by bench/black/build-wasm.mjs into
// ./kernel-bytes.ts; `npm run build:wasm`). A port of the pure-JS kernel (../core.ts, ../lets-be-rational.ts,
// ../normalised.ts, ../greeks-kernel.ts, ../discounts.ts, ../../special/*.ts) that performs the same floating-point
// operations in the same order: same algorithms, regions, thresholds and status rules, the same table-driven
// fastExp, and log/cbrt/expm1/log1p/atanh/sinh imported from the host's Math. Every status and every output is
// therefore bit-identical to the pure-JS kernel's (test/quant/black/wasm.test.ts checks this on random and
// adversarial rows), and all of the pure-JS kernel's precision tests carry over.
//
// What WebAssembly adds: doubles stay in registers across calls (the JS kernel passes them through typed-array
// scratch to avoid boxing), no bounds or type checks, and the Greeks loop runs on f64x2 SIMD, two options per
// instruction, two such pairs interleaved (greeksQuad), with a lane-wise copy of fdlibm's log (the algorithm of V8's
// Math.log, so the same bits). The implied-volatility solver is one serial chain of dependent steps per option
// (guess, two Householder steps) with data-dependent branches; the batch loop runs two rows through it in lock-step
// (solvePairRows: each row performs exactly its scalar operations, interleaved with the other's, so the core
// overlaps the two chains), falling back to the scalar code where the rows' paths differ.
//
// Batch interface: the host copies a chunk of at most CHUNK rows into the column buffers below (their offsets are
// exported), calls ivAndGreeks / iv / greeks with the row count, and copies the output columns back.

// ------------------------------------------------------------------------------------------------------------
// Memory layout: columns of CHUNK rows from BASE (above AssemblyScript's static data; checked by the host).
const CHUNK: i32 = 2048;
const BASE: usize = 65536;
const C8: usize = <usize>CHUNK * 8;
const I_S: usize = BASE;
const I_K: usize = I_S + C8;
const I_T: usize = I_K + C8;
const I_R: usize = I_T + C8;
const I_Q: usize = I_R + C8;
const I_P: usize = I_Q + C8; // price
const I_V: usize = I_P + C8; // sigma (greeks at a given vol)
const O_IV: usize = I_V + C8; // then 14 columns: price delta gamma vega theta rho vanna charm vomma speed zomma color dd dg
const O_PRICE: usize = O_IV + C8;
const I_RT: usize = O_IV + 15 * C8; // right, u8
const O_ST: usize = I_RT + <usize>CHUNK; // status, u8
const END: usize = O_ST + <usize>CHUNK;

export function chunkRows(): i32 {
  return CHUNK;
}
/** Byte offset of input column k (0 S, 1 K, 2 T, 3 r, 4 q, 5 price, 6 sigma, 7 iv/out, 8.. outputs). */
export function columnOffset(k: i32): usize {
  return I_S + <usize>k * C8;
}
export function rightOffset(): usize {
  return I_RT;
}
export function statusOffset(): usize {
  return O_ST;
}
/** End of the memory the kernel uses: the chunk buffers, then the lower-half guess table (TBL). */
export function endOffset(): usize {
  return ((END + 7) & ~(<usize>7)) + <usize>(6 * 381) * 8 + <usize>(2 * 161 * 64) * 8 + <usize>381 * 8;
}
export function heapBase(): usize {
  return __heap_base;
}

// ------------------------------------------------------------------------------------------------------------
// The host's Math functions, wherever the pure-JS kernel calls them, so that results are bit-identical. This matters
// beyond tidiness: x = ln(S/K) + (r − q)T can cancel (a last-bit difference in the logarithm is then a relative
// error of many ulps in x, and in a tiny time value), and so can the intrinsic value of an in-the-money option, so
// a solver with its own log would disagree with a JS re-pricing by far more than an ulp. V8 calls an imported Math
// function directly (no JS frame). AssemblyScript's own (musl) log and cbrt in the solver measured ~3 % faster, within
// the noise of the shared machine, and would lose the bit-identity.
@external("Math", "log") declare function hostLog(x: f64): f64;
@external("Math", "exp") declare function hostExp(x: f64): f64;
@external("Math", "expm1") declare function hostExpm1(x: f64): f64;
@external("Math", "cbrt") declare function hostCbrt(x: f64): f64;
@external("Math", "log1p") declare function hostLog1p(x: f64): f64;
@external("Math", "atanh") declare function hostAtanh(x: f64): f64;
@external("Math", "sinh") declare function hostSinh(x: f64): f64;

// ------------------------------------------------------------------------------------------------------------
// e^x: the table-driven scheme of ../../special/exp.ts (Tang 1989), operation for operation, so that it returns
// the same bits as the pure-JS kernel's fastExp (and so the same branch and status decisions at the boundaries).

const EXP_HI: StaticArray<f64> = [1.0, 1.0108892860517005, 1.0218971486541166, 1.0330248790212284, 1.0442737824274138, 1.0556451783605572, 1.0671404006768237, 1.0787607977571199, 1.0905077326652577, 1.102382583307841, 1.1143867425958924, 1.1265216186082418, 1.1387886347566916, 1.1511892299529827, 1.1637248587775775, 1.1763969916502812, 1.189207115002721, 1.202156731452703, 1.215247359980469, 1.22848053610687, 1.241857812073484, 1.255380757024691, 1.2690509571917332, 1.2828700160787783, 1.2968395546510096, 1.3109612115247644, 1.3252366431597413, 1.339667524053303, 1.3542555469368927, 1.3690024229745905, 1.383909881963832, 1.3989796725383112, 1.4142135623730951, 1.42961333839197, 1.4451808069770467, 1.460917794180647, 1.4768261459394993, 1.4929077282912648, 1.5091644275934228, 1.5255981507445384, 1.5422108254079407, 1.559004400237837, 1.5759808451078865, 1.593142151342267, 1.6104903319492543, 1.6280274218573478, 1.645755478153965, 1.6636765803267364, 1.681792830507429, 1.7001063537185235, 1.718619298122478, 1.7373338352737062, 1.7562521603732995, 1.7753764925265212, 1.7947090750031072, 1.8142521755003989, 1.8340080864093424, 1.8539791250833855, 1.8741676341103, 1.8945759815869656, 1.9152065613971474, 1.9360617934922943, 1.9571441241754002, 1.978456026387951];
const EXP_LO: StaticArray<f64> = [0.0, -1.5234778603368577e-17, 5.109225028973444e-17, 7.600838874027088e-18, 8.551889705537965e-17, 1.759325738772092e-18, -7.899853966841582e-17, -6.656660436056593e-17, -3.046782079812471e-17, 5.2660368715706944e-17, 1.0410278456845571e-16, 5.165856758795457e-17, 8.912812676025408e-17, 3.250710218863827e-17, 3.8292048369240935e-17, 5.554203254218079e-17, 3.982015231465646e-17, 6.644981499252301e-17, -7.712630692681488e-17, -1.89878163130253e-17, 4.658027591836937e-17, -6.7113898212968784e-18, 2.667932131342186e-18, 1.713594918243561e-17, 2.5382502794888315e-17, -7.181536135519454e-17, -2.8587312100388614e-17, 8.927282594831732e-17, 7.70094837980299e-17, 9.593797919118849e-17, -6.770511658794786e-17, -9.614213209051323e-17, -9.667293313452913e-17, -1.2031642489053655e-17, -3.0237581349939873e-17, -5.600377186075216e-17, -3.483994556892796e-17, 1.4192920154284036e-17, -1.016455327754295e-16, -1.1024941712342561e-16, 7.949834809697621e-17, 3.7812070533575275e-17, -1.0136916471278304e-17, -1.0094406542311964e-16, 2.4707192569797888e-17, -6.712955084707084e-17, -1.0125679913674773e-16, 5.8909926967131e-17, 8.199010020581497e-17, -8.0237193703977e-18, -1.851380418263111e-17, 3.164389299292957e-17, 2.960140695448873e-17, 6.429731796556572e-17, 1.8227458427912087e-17, -9.969531538920349e-17, 3.283107224245627e-17, 9.761887490727594e-17, -6.122763413004143e-17, 3.4034035352165297e-17, -1.0619946056195963e-16, 1.0332385960676326e-16, 8.960767791036668e-17, 4.0388753109278167e-17];
const LN2_OVER_N_HI: f64 = 0.010830424696223417;
const LN2_OVER_N_LO: f64 = 2.572804622327669e-14;
const N_OVER_LN2: f64 = 92.33248261689366;
const SHIFTER: f64 = 6755399441055744;

function fastExp(x: f64): f64 {
  if (!(x > -708 && x < 708)) return hostExp(x);
  const k = x * N_OVER_LN2 + SHIFTER - SHIFTER;
  const r = x - k * LN2_OVER_N_HI - k * LN2_OVER_N_LO;
  const ki = <i32>k;
  const j = ki & 63;
  const m = ki >> 6;
  const p = r + r * r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120))));
  const hi = unchecked(EXP_HI[j]);
  // 2^m as a double from its exponent bits (m in [−1022, 1022]: a normal number, exact).
  const pow2 = reinterpret<f64>(<u64>(m + 1023) << 52);
  return pow2 * (hi + (unchecked(EXP_LO[j]) + hi * p));
}

// ------------------------------------------------------------------------------------------------------------
// Status codes (../status.ts)
const OK: u8 = 0;
const BELOW_INTRINSIC: u8 = 1;
const ABOVE_MAXIMUM: u8 = 2;
const NO_PRICE: u8 = 3;
const BAD_INPUT: u8 = 4;
const PRICE_TOO_SMALL: u8 = 5;

const EPS: f64 = 2.220446049250313e-16;
const ONE_OVER_SQRT_TWO: f64 = 0.7071067811865476;
const ONE_OVER_SQRT_TWO_PI: f64 = 0.3989422804014327;
const SQRT_PI_OVER_TWO: f64 = 1.2533141373155003;
const ONE_OVER_SQRT_PI: f64 = 0.56418958354775628695;

// ------------------------------------------------------------------------------------------------------------
// Special functions (Cody 1969 erf/erfc/erfcx, Wichura 1988 Φ⁻¹): ../../special/erf.ts, normal.ts

@inline function erfSmallRatio(ysq: f64): f64 {
  let num = 0.185777706184603153 * ysq;
  let den = ysq;
  num = (num + 3.1611237438705656) * ysq;
  den = (den + 23.6012909523441209) * ysq;
  num = (num + 113.864154151050156) * ysq;
  den = (den + 244.024637934444173) * ysq;
  num = (num + 377.485237685302021) * ysq;
  den = (den + 1282.61652607737228) * ysq;
  return (num + 3209.37758913846947) / (den + 2844.23683343917062);
}

@inline function erfcxMid(y: f64): f64 {
  const y2 = y * y;
  const y4 = y2 * y2;
  const num = 1230.33935479799725 + 2051.07837782607147 * y + (1712.04761263407058 + 881.95222124176909 * y) * y2 + (298.635138197400131 + 66.1191906371416295 * y + (8.88314979438837594 + 0.564188496988670089 * y) * y2) * y4 + 2.15311535474403846e-8 * (y4 * y4);
  const den = 1230.33935480374942 + 3439.36767414372164 * y + (4362.61909014324716 + 3290.79923573345963 * y) * y2 + (1621.38957456669019 + 537.181101862009858 * y + (117.693950891312499 + 15.7449261107098347 * y) * y2) * y4 + y4 * y4;
  return num / den;
}

function erfcxLarge(y: f64): f64 {
  if (y >= 6.71e7) return ONE_OVER_SQRT_PI / y;
  const z = 1 / (y * y);
  let num = 0.0163153871373020978 * z;
  let den = z;
  num = (num + 0.305326634961232344) * z;
  den = (den + 2.56852019228982242) * z;
  num = (num + 0.360344899949804439) * z;
  den = (den + 1.87295284992346047) * z;
  num = (num + 0.125781726111229246) * z;
  den = (den + 0.527905102951428412) * z;
  num = (num + 0.0160837851487422766) * z;
  den = (den + 0.0605183413124413191) * z;
  const r = (z * (num + 6.58749161529837803e-4)) / (den + 0.00233520497626869185);
  return (ONE_OVER_SQRT_PI - r) / y;
}

@inline function expMinusSquare(y: f64): f64 {
  const yr = Math.trunc(y * 16) / 16;
  const del = (y - yr) * (y + yr);
  return fastExp(-yr * yr) * fastExp(-del);
}

function erf(x: f64): f64 {
  const y = Math.abs(x);
  if (y <= 0.46875) {
    const ysq = y > 1.11e-16 ? y * y : 0;
    return x * erfSmallRatio(ysq);
  }
  if (!(y == y)) return NaN;
  let r: f64;
  if (y <= 4) r = expMinusSquare(y) * erfcxMid(y);
  else if (y >= 26.543) r = 0;
  else r = expMinusSquare(y) * erfcxLarge(y);
  return x < 0 ? r - 1 : 1 - r;
}

function erfc(x: f64): f64 {
  const y = Math.abs(x);
  if (y <= 0.46875) {
    const ysq = y > 1.11e-16 ? y * y : 0;
    return 1 - x * erfSmallRatio(ysq);
  }
  if (!(y == y)) return NaN;
  let r: f64;
  if (y <= 4) r = expMinusSquare(y) * erfcxMid(y);
  else if (y >= 26.543) r = 0;
  else r = expMinusSquare(y) * erfcxLarge(y);
  return x < 0 ? 2 - r : r;
}

function erfcx(x: f64): f64 {
  const y = x < 0 ? -x : x;
  let r: f64;
  if (y <= 0.46875) {
    const ysq = y > 1.11e-16 ? y * y : 0;
    let num = 0.185777706184603153 * ysq;
    let den = ysq;
    num = (num + 3.1611237438705656) * ysq;
    den = (den + 23.6012909523441209) * ysq;
    num = (num + 113.864154151050156) * ysq;
    den = (den + 244.024637934444173) * ysq;
    num = (num + 377.485237685302021) * ysq;
    den = (den + 1282.61652607737228) * ysq;
    return fastExp(ysq) * (1 - (x * (num + 3209.37758913846947)) / (den + 2844.23683343917062));
  }
  if (y <= 4) r = erfcxMid(y);
  else if (y == Infinity) return x > 0 ? 0 : Infinity;
  else if (y == y) r = erfcxLarge(y);
  else return NaN;
  if (x > 0) return r;
  if (x < -26.628) return Infinity;
  const yr = Math.trunc(y * 16) / 16;
  const e = fastExp(yr * yr) * fastExp((y - yr) * (y + yr));
  return e + e - r;
}

/** erfcx(y) for y > 0 with the common middle range inline. */
@inline function erfcxPos(y: f64): f64 {
  return y > 0.46875 && y <= 4 ? erfcxMid(y) : erfcx(y);
}

function erfSmallOverX(x: f64): f64 {
  const y = x < 0 ? -x : x;
  return erfSmallRatio(y > 1.11e-16 ? y * y : 0);
}

function normCdf(x: f64): f64 {
  if (x < -1) {
    const xh = Math.trunc(x * 16) / 16;
    const del = (x - xh) * (x + xh);
    return 0.5 * erfcx(-x * ONE_OVER_SQRT_TWO) * fastExp(-0.5 * xh * xh) * fastExp(-0.5 * del);
  }
  return 0.5 * erfc(-x * ONE_OVER_SQRT_TWO);
}

function invNormCdf(p: f64): f64 {
  if (!(p > 0)) return p == 0 || p < 0 ? -Infinity : NaN;
  if (p >= 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    const n = ((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r + 133.14166789178437745) * r + 3.387132872796366608;
    const d = ((((((5226.495278852854561 * r + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r + 42.313330701600911252) * r + 1;
    return q * (n / d);
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-hostLog(r));
  let v: f64;
  if (r <= 5) {
    r -= 1.6;
    const n = ((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r + 1.42343711074968357734;
    const d = ((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1;
    v = n / d;
  } else {
    r -= 5;
    const n = ((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r + 6.6579046435011037772;
    const d = ((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1;
    v = n / d;
  }
  return q < 0 ? -v : v;
}

// ------------------------------------------------------------------------------------------------------------
// Normalised Black function b(x, s), x ≤ 0 (../normalised.ts). Results in the globals gB (b) and gV (∂b/∂s).

let gB: f64 = 0;
let gV: f64 = 0;

function asymptoticDifference(h: f64, t: f64): f64 {
  const ah = -h;
  const tau = t / ah;
  const at = hostAtanh(tau);
  const l1mt2 = hostLog1p(-tau * tau);
  const invH2 = 1 / (ah * ah);
  let sum: f64 = 0;
  let coef: f64 = 1;
  for (let m = 0; m < 60; m++) {
    const n = <f64>(2 * m + 1);
    const diff = 2 * fastExp(-0.5 * n * l1mt2) * hostSinh(n * at);
    const term = coef * diff;
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
    coef *= -n * invH2;
  }
  return sum / ah;
}

function blackAccurate(x: f64, s: f64): void {
  if (!(s > 0)) {
    gB = 0;
    gV = 0;
    return;
  }
  if (x == 0) {
    gV = ONE_OVER_SQRT_TWO_PI * fastExp(-0.125 * s * s);
    gB = erf(s * 0.5 * ONE_OVER_SQRT_TWO);
    return;
  }
  if (s == Infinity) {
    gV = 0;
    gB = fastExp(0.5 * x);
    return;
  }
  const h = x / s;
  const t = 0.5 * s;
  const hpt = h + t;
  const ve = ONE_OVER_SQRT_TWO_PI * fastExp(-0.5 * (h * h + t * t));
  gV = ve;
  if (hpt > 0.85) {
    const ex = fastExp(0.5 * x);
    gB = 0.5 * (ex * erfc(-hpt * ONE_OVER_SQRT_TWO) - erfc(-(h - t) * ONE_OVER_SQRT_TWO) / ex);
  } else if (hpt < -10) {
    gB = ve == 0 ? 0 : asymptoticDifference(h, t) * ve;
  } else if (t < 0.21) {
    const y0 = SQRT_PI_OVER_TWO * erfcxPos(-h * ONE_OVER_SQRT_TWO);
    let yPrev = y0;
    let yCur = 1 + h * y0;
    const t2 = t * t;
    let pow = t;
    let sum = yCur * pow;
    for (let k = 1; k < 40; k += 2) {
      const yNext = h * yCur + <f64>k * yPrev;
      const yNext2 = h * yNext + <f64>(k + 1) * yCur;
      yPrev = yNext;
      yCur = yNext2;
      pow *= t2 * (1.0 / <f64>((k + 1) * (k + 2)));
      const term = yCur * pow;
      sum += term;
      if (Math.abs(term) <= 1.1e-17 * sum) break;
    }
    gB = 2 * sum * ve;
  } else {
    gB = ve * SQRT_PI_OVER_TWO * (erfcx(-hpt * ONE_OVER_SQRT_TWO) - erfcx(-(h - t) * ONE_OVER_SQRT_TWO));
  }
}

/** The solver's intermediate evaluation (~1e−11): the erfcx difference where the accurate one uses the series. */
function blackGuess(x: f64, s: f64): void {
  const t = 0.5 * s;
  if (t < 0.21 && t >= 1e-4 && x < 0) {
    const h = x / s;
    const hpt = h + t;
    if (hpt >= -10) {
      const ve = ONE_OVER_SQRT_TWO_PI * fastExp(-0.5 * (h * h + t * t));
      gV = ve;
      gB = ve * SQRT_PI_OVER_TWO * (erfcxPos(-hpt * ONE_OVER_SQRT_TWO) - erfcxPos(-(h - t) * ONE_OVER_SQRT_TWO));
      return;
    }
  }
  blackAccurate(x, s);
}

function blackComplement(x: f64, s: f64): f64 {
  if (!(s > 0)) return fastExp(0.5 * x);
  if (s == Infinity) return 0;
  const h = x / s;
  const t = 0.5 * s;
  const ex = fastExp(0.5 * x);
  return 0.5 * (ex * erfc((h + t) * ONE_OVER_SQRT_TWO) + erfc(-(h - t) * ONE_OVER_SQRT_TWO) / ex);
}

@inline function normalisedVega(x: f64, s: f64): f64 {
  const h = x / s;
  const t = 0.5 * s;
  return ONE_OVER_SQRT_TWO_PI * fastExp(-0.5 * (h * h + t * t));
}

// ------------------------------------------------------------------------------------------------------------
// Let's Be Rational (../lets-be-rational.ts)

const DBL_MAX: f64 = 1.7976931348623157e308;
const SQRT_DBL_MAX: f64 = 1.3407807929942596e154;
const SQRT_DBL_EPS: f64 = 1.4901161193847656e-8;
const TWO_PI: f64 = 6.283185307179586;
const SQRT_THREE: f64 = 1.7320508075688772;
const TWO_PI_OVER_SQRT_27: f64 = 1.2091995761561452;
const MIN_RATIONAL_CUBIC_R: f64 = -(1 - SQRT_DBL_EPS);
const MAX_ITERATIONS: i32 = 8;
const CONVERGED_STEP: f64 = 1e-5;

function rationalCubic(x: f64, xl: f64, xr: f64, yl: f64, yr: f64, dl: f64, dr: f64, r: f64): f64 {
  const h = xr - xl;
  if (Math.abs(h) <= 0) return 0.5 * (yl + yr);
  const t = (x - xl) / h;
  if (r < SQRT_DBL_MAX) {
    const omt = 1 - t;
    const t2 = t * t;
    const omt2 = omt * omt;
    return (yr * t2 * t + (r * yr - h * dr) * t2 * omt + (r * yl + h * dl) * t * omt2 + yl * omt2 * omt) / (1 + (r - 3) * t * omt);
  }
  return yr * t + yl * (1 - t);
}

// JS Math.max semantics (NaN if any argument is NaN) — f64.max in WebAssembly is the same.
function minimumRationalCubicR(dl: f64, dr: f64, slope: f64, preferShape: bool): f64 {
  const monotonic = dl * slope >= 0 && dr * slope >= 0;
  const convex = dl <= slope && slope <= dr;
  const concave = dl >= slope && slope >= dr;
  if (!monotonic && !convex && !concave) return MIN_RATIONAL_CUBIC_R;
  const drmdl = dr - dl;
  const drms = dr - slope;
  const smdl = slope - dl;
  let r1 = -DBL_MAX;
  let r2 = -DBL_MAX;
  if (monotonic) {
    if (slope != 0) r1 = (dr + dl) / slope;
    else if (preferShape) r1 = DBL_MAX;
  }
  if (convex || concave) {
    if (smdl != 0 && drms != 0) r2 = max(Math.abs(drmdl / drms), Math.abs(drmdl / smdl));
    else if (preferShape) r2 = DBL_MAX;
  } else if (monotonic && preferShape) r2 = DBL_MAX;
  return max(max(MIN_RATIONAL_CUBIC_R, r1), r2);
}

function rFitLeft(xl: f64, xr: f64, yl: f64, yr: f64, dl: f64, dr: f64, d2l: f64, preferShape: bool): f64 {
  const h = xr - xl;
  const num = 0.5 * h * d2l + (dr - dl);
  const den = (yr - yl) / h - dl;
  let r: f64;
  if (num == 0) r = 0;
  else if (den == 0) r = num > 0 ? DBL_MAX : MIN_RATIONAL_CUBIC_R;
  else r = num / den;
  return max(r, minimumRationalCubicR(dl, dr, (yr - yl) / h, preferShape));
}

function rFitRight(xl: f64, xr: f64, yl: f64, yr: f64, dl: f64, dr: f64, d2r: f64, preferShape: bool): f64 {
  const h = xr - xl;
  const num = 0.5 * h * d2r + (dr - dl);
  const den = dr - (yr - yl) / h;
  let r: f64;
  if (num == 0) r = 0;
  else if (den == 0) r = num > 0 ? DBL_MAX : MIN_RATIONAL_CUBIC_R;
  else r = num / den;
  return max(r, minimumRationalCubicR(dl, dr, (yr - yl) / h, preferShape));
}

// Results of lowerMap / upperMap: f, df/dβ, d²f/dβ².
let gF0: f64 = 0;
let gF1: f64 = 0;
let gF2: f64 = 0;

function lowerMap(x: f64, s: f64, bp: f64): void {
  const ax = Math.abs(x);
  const z = -ax / SQRT_THREE / s;
  const ez = fastExp(-0.5 * z * z);
  const phiZ = ONE_OVER_SQRT_TWO_PI * ez;
  const cdfZ = 0.5 * erfcxPos(-z * ONE_OVER_SQRT_TWO) * ez;
  gF0 = TWO_PI_OVER_SQRT_27 * ax * cdfZ * cdfZ * cdfZ;
  if (!(bp > 0) || !(cdfZ > 0)) {
    gF1 = 1;
    gF2 = 0;
    return;
  }
  const fs = ((TWO_PI / 3) * x * x) / (s * s) * cdfZ * cdfZ * phiZ;
  const fss = ((TWO_PI / 3) * x * x) / (s * s * s) * cdfZ * phiZ * (-2 * cdfZ - 2 * z * phiZ + z * z * cdfZ);
  const bpp = (x * x) / (s * s * s) - 0.25 * s;
  gF1 = fs / bp;
  gF2 = (fss - fs * bpp) / (bp * bp);
}

@inline function inverseLowerMap(x: f64, f: f64): f64 {
  const ax = Math.abs(x);
  const u = hostCbrt(f / (TWO_PI_OVER_SQRT_27 * ax));
  return Math.abs(ax / (SQRT_THREE * invNormCdf(u)));
}

function upperMap(x: f64, s: f64): void {
  gF0 = normCdf(-0.5 * s);
  const w = (x * x) / (s * s);
  gF1 = -0.5 * fastExp(0.5 * w);
  gF2 = ((0.5 * (x * x)) / (s * s * s)) * 2.5066282746310002 * fastExp(w + 0.125 * s * s);
}

// The x-only part of the lower-half guess, tabulated at y_k = Y0 + k·H (y = √−x) and interpolated by 4-point
// Lagrange: b_l/b_c, b′_l/b′_c, f_l/b_l, df/dβ, b_l·d²f/dβ² (../lets-be-rational.ts, lowerTable; built at
// instantiation with the same operations, so the same bits). In linear memory after the chunk buffers.
const TAB_H: f64 = 1.0 / 128;
const TAB_INV_H: f64 = 128;
const TAB_Y0: f64 = 1.0 / 64;
const TAB_N: i32 = 381;
const TAB_Y1: f64 = TAB_Y0 + <f64>(TAB_N - 1) * TAB_H;
const TAB_MARGIN: f64 = 1e-5;
const TAB_W: i32 = 6;
const TBL: usize = (END + 7) & ~(<usize>7);

/** 1 − erfcx(y), y = √−x (../lets-be-rational.ts oneMinusErfcx). */
function oneMinusErfcx(x: f64, y: f64): f64 {
  if (y <= 0.46875) return fastExp(-x) * y * erfSmallOverX(y) - hostExpm1(-x);
  return 1 - erfcxPos(y);
}

function lowerNodes(x: f64, k: i32): void {
  const bMax = fastExp(0.5 * x);
  const sc = Math.sqrt(-2 * x);
  const y = Math.sqrt(-x);
  const omc = oneMinusErfcx(x, y);
  const bc = 0.5 * bMax * omc;
  const vc = bMax * ONE_OVER_SQRT_TWO_PI;
  const sl = sc - bc / vc;
  blackAccurate(x, sl);
  const bl = gB;
  const vl = gV;
  lowerMap(x, sl, vl);
  const p = TBL + <usize>(TAB_W * k) * 8;
  store<f64>(p, omc);
  store<f64>(p + 8, bl / bc);
  store<f64>(p + 16, vl / vc);
  store<f64>(p + 24, gF0 / bl);
  store<f64>(p + 32, gF1);
  store<f64>(p + 40, gF2 * bl);
}

let tableReady = false;
function initLowerTable(): void {
  if (tableReady) return;
  for (let k = 0; k < TAB_N; k++) {
    const yk = TAB_Y0 + <f64>k * TAB_H;
    const xk = -(yk * yk);
    lowerNodes(xk, k);
    const p = TBL + <usize>(TAB_W * k) * 8;
    store<f64>(TBL3 + <usize>k * 8, hostLog(load<f64>(p + 8) * (0.5 * fastExp(0.5 * xk) * load<f64>(p))));
  }
  tableReady = true;
}

// Interpolated ratios of lowerTableAt.
let gT0: f64 = 0;
let gT1: f64 = 0;
let gT2: f64 = 0;
let gT3: f64 = 0;
let gT4: f64 = 0;
let gT5: f64 = 0;
let gT6: f64 = 0; // ln b_l

/** The six tabulated values at y ∈ [TAB_Y0, TAB_Y1] (as ../lets-be-rational.ts lowerTableAt). */
function lowerTableAt(y: f64): void {
  const u = (y - TAB_Y0) * TAB_INV_H;
  let k = <i32>Math.floor(u) - 1;
  if (k < 0) k = 0;
  else if (k > TAB_N - 4) k = TAB_N - 4;
  const t = u - <f64>(k + 1);
  const tp = t + 1;
  const tm = t - 1;
  const tm2 = t - 2;
  const w0 = (-t * tm * tm2) / 6;
  const w1 = (tp * tm * tm2) / 2;
  const w2 = (-tp * t * tm2) / 2;
  const w3 = (tp * t * tm) / 6;
  const p = TBL + <usize>(TAB_W * k) * 8;
  gT0 = w0 * load<f64>(p) + w1 * load<f64>(p + 48) + w2 * load<f64>(p + 96) + w3 * load<f64>(p + 144);
  gT1 = w0 * load<f64>(p + 8) + w1 * load<f64>(p + 56) + w2 * load<f64>(p + 104) + w3 * load<f64>(p + 152);
  gT2 = w0 * load<f64>(p + 16) + w1 * load<f64>(p + 64) + w2 * load<f64>(p + 112) + w3 * load<f64>(p + 160);
  gT3 = w0 * load<f64>(p + 24) + w1 * load<f64>(p + 72) + w2 * load<f64>(p + 120) + w3 * load<f64>(p + 168);
  gT4 = w0 * load<f64>(p + 32) + w1 * load<f64>(p + 80) + w2 * load<f64>(p + 128) + w3 * load<f64>(p + 176);
  gT5 = w0 * load<f64>(p + 40) + w1 * load<f64>(p + 88) + w2 * load<f64>(p + 136) + w3 * load<f64>(p + 184);
  const q = TBL3 + <usize>k * 8;
  gT6 = w0 * load<f64>(q) + w1 * load<f64>(q + 8) + w2 * load<f64>(q + 16) + w3 * load<f64>(q + 24);
}

// The lowest branch's q(y, w) = s·√(−2 ln β)/|x|, w = ln b_l / ln β (../lets-be-rational.ts lowestTable).
const T2_H: f64 = 1.0 / 128;
const T2_INV_H: f64 = 128;
const T2_NY: i32 = 161;
const T2_Y1: f64 = TAB_Y0 + <f64>(T2_NY - 1) * T2_H;
const T2_HW: f64 = 1.0 / 64;
const T2_INV_HW: f64 = 64;
const T2_NW: i32 = 64;
const T2_W0: f64 = 1.0 / 64;
const T2_YLN: f64 = 0.3; // from here on ln b_l is interpolated (gT6), below computed
const TBL2: usize = TBL + <usize>(TAB_W * TAB_N) * 8;
// The lower middle branch's s/s_c over (y, t = (β − b_l)/(b_c − b_l)), nodes t_j = j/63, after it.
const T2_INV_HT: f64 = 63;
const T2_MID: i32 = T2_NY * T2_NW;
// ln b_l at the lower table's nodes (lowerTableAt → gT6).
const TBL3: usize = TBL2 + <usize>(2 * T2_MID) * 8;
let lowestReady = false;
let lowestBuilding = false;

@inline function lowestTableAt(y: f64, w: f64): f64 {
  return table2At(0, (y - TAB_Y0) * T2_INV_H, (w - T2_W0) * T2_INV_HW);
}

@inline function midTableAt(y: f64, t: f64): f64 {
  return table2At(T2_MID, (y - TAB_Y0) * T2_INV_H, t * T2_INV_HT);
}

function table2At(base: i32, u: f64, v: f64): f64 {
  let k = <i32>Math.floor(u) - 1;
  if (k < 0) k = 0;
  else if (k > T2_NY - 4) k = T2_NY - 4;
  const t = u - <f64>(k + 1);
  const tp = t + 1;
  const tm = t - 1;
  const tm2 = t - 2;
  const a0 = (-t * tm * tm2) / 6;
  const a1 = (tp * tm * tm2) / 2;
  const a2 = (-tp * t * tm2) / 2;
  const a3 = (tp * t * tm) / 6;
  let j = <i32>Math.floor(v) - 1;
  if (j < 0) j = 0;
  else if (j > T2_NW - 4) j = T2_NW - 4;
  const r = v - <f64>(j + 1);
  const rp = r + 1;
  const rm = r - 1;
  const rm2 = r - 2;
  const c0 = (-r * rm * rm2) / 6;
  const c1 = (rp * rm * rm2) / 2;
  const c2 = (-rp * r * rm2) / 2;
  const c3 = (rp * r * rm) / 6;
  const p = TBL2 + <usize>(base + k * T2_NW + j) * 8;
  const RS: usize = <usize>T2_NW * 8;
  let acc: f64 = 0;
  acc += a0 * (c0 * load<f64>(p) + c1 * load<f64>(p + 8) + c2 * load<f64>(p + 16) + c3 * load<f64>(p + 24));
  acc += a1 * (c0 * load<f64>(p + RS) + c1 * load<f64>(p + RS + 8) + c2 * load<f64>(p + RS + 16) + c3 * load<f64>(p + RS + 24));
  acc += a2 * (c0 * load<f64>(p + 2 * RS) + c1 * load<f64>(p + 2 * RS + 8) + c2 * load<f64>(p + 2 * RS + 16) + c3 * load<f64>(p + 2 * RS + 24));
  acc += a3 * (c0 * load<f64>(p + 3 * RS) + c1 * load<f64>(p + 3 * RS + 8) + c2 * load<f64>(p + 3 * RS + 16) + c3 * load<f64>(p + 3 * RS + 24));
  return acc;
}

function initLowestTable(): void {
  if (lowestReady || lowestBuilding) return;
  lowestBuilding = true;
  initLowerTable();
  for (let k = 0; k < T2_NY; k++) {
    const yk = TAB_Y0 + <f64>k * T2_H;
    const xk = -(yk * yk);
    const bMax = fastExp(0.5 * xk);
    const sc = Math.sqrt(-2 * xk);
    const y = Math.sqrt(-xk);
    const omc = oneMinusErfcx(xk, y);
    const bc = 0.5 * bMax * omc;
    const vc = bMax * ONE_OVER_SQRT_TWO_PI;
    const sl = sc - bc / vc;
    blackAccurate(xk, sl);
    const bcN = 0.5 * fastExp(0.5 * xk) * omc;
    const blN = (gB / bc) * bcN;
    const lnBl = hostLog(blN);
    for (let j = 0; j < T2_NW; j++) {
      const wj = T2_W0 + <f64>j * T2_HW;
      const lnB = lnBl / wj;
      const sk = impliedNormalisedVolOtm(hostExp(lnB), xk);
      store<f64>(TBL2 + <usize>(k * T2_NW + j) * 8, (sk * Math.sqrt(-2 * lnB)) / -xk);
      const tj = <f64>j / T2_INV_HT;
      store<f64>(TBL2 + <usize>(T2_MID + k * T2_NW + j) * 8, impliedNormalisedVolOtm(blN + tj * (bcN - blN), xk) / sc);
    }
  }
  lowestReady = true;
}

const OBJ_DIRECT: i32 = 0;
const OBJ_LOWER: i32 = 1;
const OBJ_UPPER: i32 = 2;

let gVegaLast: f64 = 0; // b'(s) at the last iterate
let gIterations: i32 = 0;

export function lastIterations(): i32 {
  return gIterations;
}

export function impliedNormalisedVolOtm(beta: f64, x: f64): f64 {
  const bMax = fastExp(0.5 * x);
  if (!(beta > 0) || !(beta < bMax) || !(x <= 0)) return NaN;
  if (x == 0) return atTheMoney(beta);
  const sc = Math.sqrt(-2 * x);
  const y = Math.sqrt(-x);
  const tab = y >= TAB_Y0 && y <= TAB_Y1;
  let bc: f64;
  if (tab) {
    initLowestTable();
    lowerTableAt(y);
    bc = 0.5 * bMax * gT0;
    if (!(Math.abs(beta - bc) > TAB_MARGIN * bc)) bc = 0.5 * bMax * oneMinusErfcx(x, y);
  } else bc = 0.5 * bMax * oneMinusErfcx(x, y);
  const vc = bMax * ONE_OVER_SQRT_TWO_PI;
  let s: f64;
  let lo: f64 = 0;
  let hi: f64 = Infinity;
  let objective: i32;
  if (beta < bc) {
    const sl = sc - bc / vc;
    let bl: f64;
    let vl: f64;
    if (tab) {
      bl = gT1 * bc;
      vl = gT2 * vc;
    } else {
      blackGuess(x, sl);
      bl = gB;
      vl = gV;
    }
    hi = sc;
    if (sl > 0 && beta >= bl) {
      if (tab && lowestReady && y <= T2_Y1) {
        s = midTableAt(y, (beta - bl) / (bc - bl)) * sc;
      } else {
        const r = rFitRight(bl, bc, sl, sc, 1 / vl, 1 / vc, 0, false);
        s = rationalCubic(beta, bl, bc, sl, sc, 1 / vl, 1 / vc, r);
      }
      lo = tab ? 0 : sl;
      objective = OBJ_DIRECT;
    } else {
      objective = OBJ_LOWER;
      if (sl > 0 && bl > 0) {
        let w: f64 = 0;
        let lnB: f64 = 0;
        if (tab && lowestReady && y <= T2_Y1) {
          lnB = hostLog(beta);
          w = (y >= T2_YLN ? gT6 : hostLog(bl)) / lnB;
        }
        if (w >= T2_W0 && w <= 1) {
          s = (lowestTableAt(y, w) * -x) / Math.sqrt(-2 * lnB);
          hi = sc;
        } else {
        let fl: f64;
        let d1: f64;
        let d2: f64;
        if (tab) {
          fl = gT3 * bl;
          d1 = gT4;
          d2 = gT5 / bl;
        } else {
          lowerMap(x, sl, vl);
          fl = gF0;
          d1 = gF1;
          d2 = gF2;
        }
        let f: f64 = -1;
        if (d2 > -SQRT_DBL_MAX && d2 < SQRT_DBL_MAX) {
          const r = rFitRight(0, bl, 0, fl, 1, d1, d2, true);
          f = rationalCubic(beta, 0, bl, 0, fl, 1, d1, r);
        }
        if (!(f > 0)) {
          const tt = beta / bl;
          f = (fl * tt + bl * (1 - tt)) * tt;
        }
        s = inverseLowerMap(x, f);
        hi = tab ? sc : sl;
        }
      } else {
        s = inverseLowerMap(x, beta);
      }
    }
  } else {
    const su = vc > 5e-324 ? sc + (bMax - bc) / vc : sc;
    blackGuess(x, su);
    const bu = gB;
    const vu = gV;
    lo = sc;
    if (beta <= bu) {
      const r = rFitLeft(bc, bu, sc, su, 1 / vc, 1 / vu, 0, false);
      s = rationalCubic(beta, bc, bu, sc, su, 1 / vc, 1 / vu, r);
      hi = su;
      objective = OBJ_DIRECT;
    } else {
      upperMap(x, su);
      const fu = gF0;
      const d1 = gF1;
      const d2 = gF2;
      let f: f64 = -1;
      if (d2 > -SQRT_DBL_MAX && d2 < SQRT_DBL_MAX) {
        const r = rFitLeft(bu, bMax, fu, 0, d1, -0.5, d2, true);
        f = rationalCubic(beta, bu, bMax, fu, 0, d1, -0.5, r);
      }
      if (!(f > 0)) {
        const hh = bMax - bu;
        const tt = (beta - bu) / hh;
        f = (fu * (1 - tt) + 0.5 * hh * tt) * (1 - tt);
      }
      s = -2 * invNormCdf(f);
      lo = su;
      objective = OBJ_UPPER;
    }
  }
  if (!(s >= lo && s <= hi)) s = hi == Infinity ? 2 * lo + 1 : 0.5 * (lo + hi);
  return householder(objective, beta, x, s, lo, hi, bMax);
}

function atTheMoney(beta: f64): f64 {
  let s: f64;
  let objective: i32;
  if (beta < 0.5) {
    s = beta < 1e-6 ? 2.5066282746310002 * beta : -2 * invNormCdf(0.5 - 0.5 * beta);
    objective = OBJ_DIRECT;
  } else {
    s = -2 * invNormCdf(0.5 * (1 - beta));
    objective = OBJ_UPPER;
  }
  if (!(s > 0) || s == Infinity) return s;
  return householder(objective, beta, 0, s, 0, Infinity, 1);
}

function householder(objective: i32, beta: f64, x: f64, s0: f64, lo0: f64, hi0: f64, bMax: f64): f64 {
  return householderFrom(objective, beta, x, s0, lo0, hi0, bMax, 0);
}

/** The Householder iteration from iteration it0 on (the paired solver hands over a lane that needs more steps). */
function householderFrom(objective: i32, beta: f64, x: f64, s0: f64, lo0: f64, hi0: f64, bMax: f64, it0: i32): f64 {
  let s = s0;
  let lo = lo0;
  let hi = hi0;
  const lnBeta = objective == OBJ_LOWER ? hostLog(beta) : 0;
  const iLnBeta = 1 / lnBeta;
  const lnUpperGap = objective == OBJ_UPPER ? hostLog(bMax - beta) : 0;
  const x2 = x * x;
  let it: i32 = it0;
  for (; it < MAX_ITERATIONS; it++) {
    const is = 1 / s;
    const is2 = is * is;
    const h2b = x2 * is2 * is - 0.25 * s;
    const h3b = h2b * h2b - 3 * x2 * is2 * is2 - 0.25;
    let bp: f64;
    let nu: f64;
    let h2: f64;
    let h3: f64;
    const accurate = true; // every iterate on the accurate b (../lets-be-rational.ts householder)
    if (objective == OBJ_DIRECT) {
      if (accurate) blackAccurate(x, s);
      else blackGuess(x, s);
      const b = gB;
      bp = gV;
      if (b > beta) hi = s;
      else if (b < beta) lo = s;
      nu = (beta - b) / bp;
      h2 = h2b;
      h3 = h3b;
    } else if (objective == OBJ_LOWER) {
      if (accurate) blackAccurate(x, s);
      else blackGuess(x, s);
      const b = gB;
      bp = gV;
      if (b > beta) hi = s;
      else if (b < beta) lo = s;
      if (!(b > 0)) {
        s = hi == Infinity ? 2 * s : 0.5 * (s + hi);
        continue;
      }
      const lr = hostLog(b / beta);
      const L = lnBeta + lr;
      const iL = 1 / L;
      const r1 = bp / b;
      const ir1 = b / bp;
      const L2 = r1 * h2b - r1 * r1;
      nu = -lr * L * ir1 * iLnBeta;
      h2 = h2b - r1 - 2 * r1 * iL;
      h3 = h3b - 3 * r1 * h2b + 2 * r1 * r1 - 6 * L2 * iL + 6 * r1 * r1 * iL * iL;
    } else {
      const c = blackComplement(x, s);
      bp = normalisedVega(x, s);
      const gap = bMax - beta;
      if (c < gap) hi = s;
      else if (c > gap) lo = s;
      if (!(c > 0)) {
        s = 0.5 * (lo + s);
        continue;
      }
      const q = bp / c;
      const g = lnUpperGap - hostLog(c);
      nu = -g / q;
      h2 = h2b + q;
      h3 = h3b + 3 * h2b * q + 2 * q * q;
    }
    gVegaLast = bp;
    let ds = nu;
    const hn = h2 * nu;
    if (isFinite(hn)) {
      const den = 1 + nu * (h2 + (h3 * nu) / 6);
      const fac = (1 + 0.5 * hn) / den;
      if (fac > 0 && isFinite(fac)) ds = nu * fac;
    }
    ds = max(-0.5 * s, ds);
    if (Math.abs(ds) <= CONVERGED_STEP * s) {
      s += ds;
      if (accurate || objective == OBJ_UPPER) {
        it++;
        break;
      }
      continue;
    }
    let sn = s + ds;
    if (!(sn >= lo && sn <= hi)) sn = hi == Infinity ? max(2 * s, lo * 2) : 0.5 * (lo + hi);
    s = sn;
  }
  gIterations = it;
  return s;
}

// ------------------------------------------------------------------------------------------------------------
// Status-setting solvers (../core.ts)

const MIN_NORMALISED_TIME_VALUE: f64 = 1e-290;
const MIN_MAGNITUDE: f64 = 1e-300;
const MAX_MAGNITUDE: f64 = 1e300;
const MAX_IV_CONDITION_ERROR: f64 = 1e-9;

let gStatus: u8 = 0;
export function lastStatus(): i32 {
  return <i32>gStatus;
}

function solveNormalised(isCall: bool, x: f64, price: f64, intrinsic: f64, maxPrice: f64, scale: f64, sqrtT: f64, intrinsicMagnitude: f64): f64 {
  const theta: f64 = isCall ? 1 : -1;
  if (!(price >= intrinsic)) {
    gStatus = intrinsic - price <= 8 * EPS * intrinsic ? PRICE_TOO_SMALL : BELOW_INTRINSIC;
    return NaN;
  }
  if (price >= maxPrice) {
    gStatus = ABOVE_MAXIMUM;
    return NaN;
  }
  const tv = price - intrinsic;
  if (tv == 0) {
    gStatus = BELOW_INTRINSIC;
    return NaN;
  }
  if (intrinsic > 0 && tv <= 8 * EPS * intrinsicMagnitude) {
    gStatus = PRICE_TOO_SMALL;
    return NaN;
  }
  const beta = tv / scale;
  if (!(beta >= MIN_NORMALISED_TIME_VALUE)) {
    gStatus = PRICE_TOO_SMALL;
    return NaN;
  }
  const xo = theta * x > 0 ? -theta * x : theta * x;
  const s = impliedNormalisedVolOtm(beta, xo);
  if (!(s > 0) || s == Infinity) {
    gStatus = beta >= hostExp(0.5 * xo) * (1 - 4 * EPS) ? ABOVE_MAXIMUM : PRICE_TOO_SMALL;
    return NaN;
  }
  if (EPS * price > MAX_IV_CONDITION_ERROR * scale * gVegaLast * s) {
    gStatus = PRICE_TOO_SMALL;
    return NaN;
  }
  const sigma = s / sqrtT;
  if (!(sigma < Infinity)) {
    gStatus = BAD_INPUT;
    return NaN;
  }
  gStatus = OK;
  return sigma;
}

function solveBsmPrepared(isCall: bool, S: f64, K: f64, T: f64, r: f64, q: f64, price: f64, x: f64, dq: f64, dr: f64): f64 {
  if (price != price || price == 0) {
    gStatus = NO_PRICE;
    return NaN;
  }
  if (!(price > 0 && price < Infinity)) {
    gStatus = BAD_INPUT;
    return NaN;
  }
  if (price < MIN_MAGNITUDE) {
    gStatus = PRICE_TOO_SMALL;
    return NaN;
  }
  const sDq = S * dq;
  const kDr = K * dr;
  const prod = sDq * kDr;
  const scale = prod > 1e-300 && prod < 1e300 ? Math.sqrt(prod) : Math.sqrt(sDq) * Math.sqrt(kDr);
  if (!(x > -Infinity && x < Infinity && scale > 0 && scale < Infinity && sDq < Infinity && kDr < Infinity)) {
    gStatus = BAD_INPUT;
    return NaN;
  }
  const theta: f64 = isCall ? 1 : -1;
  let intrinsic: f64 = 0;
  if (theta * x > 0) {
    const fwdIntrinsic = S - K + S * hostExpm1(-q * T) - K * hostExpm1(-r * T);
    const diff = isCall ? fwdIntrinsic : -fwdIntrinsic;
    intrinsic = diff > 0 ? diff : 0;
  }
  return solveNormalised(isCall, x, price, intrinsic, isCall ? sDq : kDr, scale, Math.sqrt(T), price);
}

/** Scalar BSM implied volatility (as ../core.ts solveBsmIv); status in lastStatus(). */
export function solveBsmIv(isCall: bool, S: f64, K: f64, T: f64, r: f64, q: f64, price: f64): f64 {
  if (!(S >= MIN_MAGNITUDE && S <= MAX_MAGNITUDE && K >= MIN_MAGNITUDE && K <= MAX_MAGNITUDE && T > 0 && T < Infinity && r - r == 0 && q - q == 0)) {
    gStatus = BAD_INPUT;
    return NaN;
  }
  return solveBsmPrepared(isCall, S, K, T, r, q, price, hostLog(S / K) + (r - q) * T, hostExp(-q * T), hostExp(-r * T));
}

/** Scalar Black-76 implied volatility (as ../core.ts solveBlack76Iv); status in lastStatus(). */
export function solveBlack76Iv(isCall: bool, F: f64, K: f64, T: f64, D: f64, price: f64): f64 {
  if (!(F >= MIN_MAGNITUDE && F <= MAX_MAGNITUDE && K >= MIN_MAGNITUDE && K <= MAX_MAGNITUDE && T > 0 && T < Infinity && D > 0 && D < Infinity)) {
    gStatus = BAD_INPUT;
    return NaN;
  }
  if (price != price || price == 0) {
    gStatus = NO_PRICE;
    return NaN;
  }
  if (!(price > 0 && price < Infinity)) {
    gStatus = BAD_INPUT;
    return NaN;
  }
  if (price < MIN_MAGNITUDE) {
    gStatus = PRICE_TOO_SMALL;
    return NaN;
  }
  const x = hostLog(F / K);
  const dF = D * F;
  const dK = D * K;
  const scale = D * Math.sqrt(F) * Math.sqrt(K);
  if (!(x > -Infinity && x < Infinity && scale > 0 && scale < Infinity && dF < Infinity && dK < Infinity)) {
    gStatus = BAD_INPUT;
    return NaN;
  }
  const diff = isCall ? D * (F - K) : D * (K - F);
  return solveNormalised(isCall, x, price, diff > 0 ? diff : 0, isCall ? dF : dK, scale, Math.sqrt(T), price);
}

// ------------------------------------------------------------------------------------------------------------
// Discount factors memoised on (T, r, q) (../discounts.ts): bit-for-bit keyed, so results equal recomputing.

const DC: i32 = 64;
const cT = new StaticArray<f64>(DC);
const cR = new StaticArray<f64>(DC);
const cQ = new StaticArray<f64>(DC);
const cDq = new StaticArray<f64>(DC);
const cDr = new StaticArray<f64>(DC);
let cacheReady = false;

@inline function discountSlot(T: f64, r: f64, q: f64): i32 {
  const bits = reinterpret<u64>(T);
  const lo = <u32>bits;
  const hi = <u32>(bits >>> 32);
  const k = <i32>(((lo ^ hi ^ (hi >>> 11)) * 0x9e3779b1) >>> 26) & (DC - 1);
  if (unchecked(cT[k]) == T && unchecked(cR[k]) == r && unchecked(cQ[k]) == q) return k;
  unchecked((cT[k] = T));
  unchecked((cR[k] = r));
  unchecked((cQ[k] = q));
  unchecked((cDq[k] = hostExp(-q * T)));
  unchecked((cDr[k] = hostExp(-r * T)));
  return k;
}

function initCache(): void {
  if (cacheReady) return;
  for (let i = 0; i < DC; i++) unchecked((cT[i] = NaN));
  cacheReady = true;
}

// ------------------------------------------------------------------------------------------------------------
// Batch loops over the chunk buffers (../batch.ts, ../greeks-kernel.ts)

@inline function writeNaNRow(i: usize): void {
  const o = i << 3;
  for (let k: usize = 0; k < 15; k++) store<f64>(O_IV + k * C8 + o, NaN);
}

// ------------------------------------------------------------------------------------------------------------
// Two rows in lock-step (the batch IV loop). One option's solve is a serial chain of ~1000 dependent instructions
// (divisions, host log/cbrt, erfcx rationals), longer than the out-of-order window, so consecutive rows never
// overlap when solved one after the other. Here two rows (lanes A, B) go through the guess and the Householder
// iteration together, their steps interleaved at the granularity of one helper call, so that the core overlaps the
// two independent chains. Every lane performs exactly the scalar path's operations in the same order (same
// helpers), so results, statuses and the carried-over vega are bit-identical to solving the rows one after the
// other; whenever the lanes' paths differ (upper half of the β axis, x = 0, different objectives, one lane
// converging earlier) the lanes finish on the scalar code.

// Per-lane inputs of the solver, from prepRow: β, x ≤ 0, price, D√(FK), √T.
const LBETA = new StaticArray<f64>(2);
const LX = new StaticArray<f64>(2);
const LPRICE = new StaticArray<f64>(2);
const LSCALE = new StaticArray<f64>(2);
const LSQRTT = new StaticArray<f64>(2);

@inline function failRow(i: usize, st: u8): bool {
  store<u8>(O_ST + i, st);
  store<f64>(O_IV + (i << 3), NaN);
  return false;
}

/**
 * Row i up to the normalised problem (the iv loop's checks, solveBsmPrepared, solveNormalised before the solve).
 * True: β and x are in the lane's slots and a solve is needed; false: the row's NaN and status are written.
 */
function prepRow(i: usize, lane: i32): bool {
  const o = i << 3;
  const rt = load<u8>(I_RT + i);
  const S = load<f64>(I_S + o);
  const K = load<f64>(I_K + o);
  const T = load<f64>(I_T + o);
  const r = load<f64>(I_R + o);
  const q = load<f64>(I_Q + o);
  if (!(rt <= 1 && S >= 1e-300 && S <= 1e300 && K >= 1e-300 && K <= 1e300 && T > 0 && T < Infinity && r - r == 0 && q - q == 0)) return failRow(i, BAD_INPUT);
  const x = hostLog(S / K) + (r - q) * T;
  const k = discountSlot(T, r, q);
  const price = load<f64>(I_P + o);
  const isCall = rt == 0;
  const dq = unchecked(cDq[k]);
  const dr = unchecked(cDr[k]);
  // solveBsmPrepared
  if (price != price || price == 0) return failRow(i, NO_PRICE);
  if (!(price > 0 && price < Infinity)) return failRow(i, BAD_INPUT);
  if (price < MIN_MAGNITUDE) return failRow(i, PRICE_TOO_SMALL);
  const sDq = S * dq;
  const kDr = K * dr;
  const prod = sDq * kDr;
  const scale = prod > 1e-300 && prod < 1e300 ? Math.sqrt(prod) : Math.sqrt(sDq) * Math.sqrt(kDr);
  if (!(x > -Infinity && x < Infinity && scale > 0 && scale < Infinity && sDq < Infinity && kDr < Infinity)) return failRow(i, BAD_INPUT);
  const theta: f64 = isCall ? 1 : -1;
  let intrinsic: f64 = 0;
  if (theta * x > 0) {
    const fwdIntrinsic = S - K + S * hostExpm1(-q * T) - K * hostExpm1(-r * T);
    const diff = isCall ? fwdIntrinsic : -fwdIntrinsic;
    intrinsic = diff > 0 ? diff : 0;
  }
  const maxPrice = isCall ? sDq : kDr;
  // solveNormalised, before the solve
  if (!(price >= intrinsic)) return failRow(i, intrinsic - price <= 8 * EPS * intrinsic ? PRICE_TOO_SMALL : BELOW_INTRINSIC);
  if (price >= maxPrice) return failRow(i, ABOVE_MAXIMUM);
  const tv = price - intrinsic;
  if (tv == 0) return failRow(i, BELOW_INTRINSIC);
  if (intrinsic > 0 && tv <= 8 * EPS * price) return failRow(i, PRICE_TOO_SMALL);
  const beta = tv / scale;
  if (!(beta >= MIN_NORMALISED_TIME_VALUE)) return failRow(i, PRICE_TOO_SMALL);
  unchecked((LBETA[lane] = beta));
  unchecked((LX[lane] = theta * x > 0 ? -theta * x : theta * x));
  unchecked((LPRICE[lane] = price));
  unchecked((LSCALE[lane] = scale));
  unchecked((LSQRTT[lane] = Math.sqrt(T)));
  return true;
}

/** solveNormalised after the solve: s and b′ at the last iterate → row i's IV and status. */
function postRow(i: usize, lane: i32, s: f64, vega: f64): void {
  if (!(s > 0) || s == Infinity) {
    failRow(i, unchecked(LBETA[lane]) >= hostExp(0.5 * unchecked(LX[lane])) * (1 - 4 * EPS) ? ABOVE_MAXIMUM : PRICE_TOO_SMALL);
    return;
  }
  if (EPS * unchecked(LPRICE[lane]) > MAX_IV_CONDITION_ERROR * unchecked(LSCALE[lane]) * vega * s) {
    failRow(i, PRICE_TOO_SMALL);
    return;
  }
  const sigma = s / unchecked(LSQRTT[lane]);
  if (!(sigma < Infinity)) {
    failRow(i, BAD_INPUT);
    return;
  }
  store<u8>(O_ST + i, OK);
  store<f64>(O_IV + (i << 3), sigma);
}

function solveRowScalar(i: usize, lane: i32): void {
  const s = impliedNormalisedVolOtm(unchecked(LBETA[lane]), unchecked(LX[lane]));
  postRow(i, lane, s, gVegaLast);
}

// Guesses of the two lanes (guessPair) and results of householderPair.
let gSA: f64 = 0;
let gLoA: f64 = 0;
let gHiA: f64 = 0;
let gObjA: i32 = 0;
let gSB: f64 = 0;
let gLoB: f64 = 0;
let gHiB: f64 = 0;
let gObjB: i32 = 0;
let gVA: f64 = 0;
let gVB: f64 = 0;

// b and b′ of the two lanes from blackGuessPair / blackAccuratePair.
let gPBA: f64 = 0;
let gPVA: f64 = 0;
let gPBB: f64 = 0;
let gPVB: f64 = 0;

/** blackGuess for two lanes: interleaved when both are in its erfcx-difference region, else one after the other. */
function blackGuessPair(xA: f64, sA: f64, xB: f64, sB: f64): void {
  const tA = 0.5 * sA;
  const tB = 0.5 * sB;
  const hA = xA / sA;
  const hB = xB / sB;
  const hptA = hA + tA;
  const hptB = hB + tB;
  if (tA < 0.21 && tA >= 1e-4 && xA < 0 && hptA >= -10 && tB < 0.21 && tB >= 1e-4 && xB < 0 && hptB >= -10) {
    const veA = ONE_OVER_SQRT_TWO_PI * fastExp(-0.5 * (hA * hA + tA * tA));
    const veB = ONE_OVER_SQRT_TWO_PI * fastExp(-0.5 * (hB * hB + tB * tB));
    const e1A = erfcxPos(-hptA * ONE_OVER_SQRT_TWO);
    const e1B = erfcxPos(-hptB * ONE_OVER_SQRT_TWO);
    const e2A = erfcxPos(-(hA - tA) * ONE_OVER_SQRT_TWO);
    const e2B = erfcxPos(-(hB - tB) * ONE_OVER_SQRT_TWO);
    gPVA = veA;
    gPVB = veB;
    gPBA = veA * SQRT_PI_OVER_TWO * (e1A - e2A);
    gPBB = veB * SQRT_PI_OVER_TWO * (e1B - e2B);
    return;
  }
  blackGuess(xA, sA);
  gPBA = gB;
  gPVA = gV;
  blackGuess(xB, sB);
  gPBB = gB;
  gPVB = gV;
}

/**
 * blackAccurate for two lanes: when both are in the small-t region, the two series run in one loop (a lane that
 * has met its stopping test adds nothing more, so each sum is the scalar one), else one after the other.
 */
function blackAccuratePair(xA: f64, sA: f64, xB: f64, sB: f64): void {
  if (sA > 0 && sB > 0 && xA != 0 && xB != 0 && sA != Infinity && sB != Infinity) {
    const hA = xA / sA;
    const hB = xB / sB;
    const tA = 0.5 * sA;
    const tB = 0.5 * sB;
    const hptA = hA + tA;
    const hptB = hB + tB;
    if (!(hptA > 0.85) && !(hptA < -10) && tA < 0.21 && !(hptB > 0.85) && !(hptB < -10) && tB < 0.21) {
      const veA = ONE_OVER_SQRT_TWO_PI * fastExp(-0.5 * (hA * hA + tA * tA));
      const veB = ONE_OVER_SQRT_TWO_PI * fastExp(-0.5 * (hB * hB + tB * tB));
      const y0A = SQRT_PI_OVER_TWO * erfcxPos(-hA * ONE_OVER_SQRT_TWO);
      const y0B = SQRT_PI_OVER_TWO * erfcxPos(-hB * ONE_OVER_SQRT_TWO);
      let yPrevA = y0A;
      let yPrevB = y0B;
      let yCurA = 1 + hA * y0A;
      let yCurB = 1 + hB * y0B;
      const t2A = tA * tA;
      const t2B = tB * tB;
      let powA = tA;
      let powB = tB;
      let sumA = yCurA * powA;
      let sumB = yCurB * powB;
      let stopA = false;
      let stopB = false;
      for (let k = 1; k < 40; k += 2) {
        const kf = <f64>k;
        const kf1 = <f64>(k + 1);
        const inv = 1.0 / <f64>((k + 1) * (k + 2));
        const yNextA = hA * yCurA + kf * yPrevA;
        const yNextB = hB * yCurB + kf * yPrevB;
        const yNext2A = hA * yNextA + kf1 * yCurA;
        const yNext2B = hB * yNextB + kf1 * yCurB;
        yPrevA = yNextA;
        yPrevB = yNextB;
        yCurA = yNext2A;
        yCurB = yNext2B;
        powA *= t2A * inv;
        powB *= t2B * inv;
        const termA = yCurA * powA;
        const termB = yCurB * powB;
        const nsA = sumA + termA;
        const nsB = sumB + termB;
        sumA = stopA ? sumA : nsA;
        sumB = stopB ? sumB : nsB;
        stopA = stopA | (Math.abs(termA) <= 1.1e-17 * sumA);
        stopB = stopB | (Math.abs(termB) <= 1.1e-17 * sumB);
        if (stopA & stopB) break;
      }
      gPVA = veA;
      gPVB = veB;
      gPBA = 2 * sumA * veA;
      gPBB = 2 * sumB * veB;
      return;
    }
  }
  blackAccurate(xA, sA);
  gPBA = gB;
  gPVA = gV;
  blackAccurate(xB, sB);
  gPBB = gB;
  gPVB = gV;
}

/**
 * The guesses of impliedNormalisedVolOtm for two lanes, interleaved; false (nothing computed that matters) unless
 * both lanes are in the lower half (β < b_c) with x < 0 and valid β, which the scalar code then handles.
 */
// ln β of each lane when guessPair computed it (0 otherwise), for householderPair.
let gLnBA: f64 = 0;
let gLnBB: f64 = 0;

function guessPair(betaA: f64, xA: f64, betaB: f64, xB: f64): bool {
  const bMaxA = fastExp(0.5 * xA);
  const bMaxB = fastExp(0.5 * xB);
  if (!(betaA > 0) || !(betaA < bMaxA) || !(xA < 0) || !(betaB > 0) || !(betaB < bMaxB) || !(xB < 0)) return false;
  const scA = Math.sqrt(-2 * xA);
  const scB = Math.sqrt(-2 * xB);
  const yA = Math.sqrt(-xA);
  const yB = Math.sqrt(-xB);
  if (!(yA >= TAB_Y0 && yA <= TAB_Y1 && yB >= TAB_Y0 && yB <= TAB_Y1)) return false;
  lowerTableAt(yA);
  const bcA = 0.5 * bMaxA * gT0;
  const qA1 = gT1;
  const qA2 = gT2;
  const qA3 = gT3;
  const qA4 = gT4;
  const qA5 = gT5;
  const qA6 = gT6;
  lowerTableAt(yB);
  const bcB = 0.5 * bMaxB * gT0;
  // Lower half only, and decided on the interpolated b_c only outside the margin (else the scalar code).
  if (!(betaA < bcA && bcA - betaA > TAB_MARGIN * bcA) || !(betaB < bcB && bcB - betaB > TAB_MARGIN * bcB)) return false;
  const vcA = bMaxA * ONE_OVER_SQRT_TWO_PI;
  const vcB = bMaxB * ONE_OVER_SQRT_TWO_PI;
  const slA = scA - bcA / vcA;
  const slB = scB - bcB / vcB;
  const blA = qA1 * bcA;
  const vlA = qA2 * vcA;
  const blB = gT1 * bcB;
  const vlB = gT2 * vcB;
  const qB3 = gT3;
  const qB4 = gT4;
  const qB5 = gT5;
  const midA = slA > 0 && betaA >= blA;
  const midB = slB > 0 && betaB >= blB;
  const lowestA = !midA && slA > 0 && blA > 0;
  const lowestB = !midB && slB > 0 && blB > 0;
  // Lowest-branch lanes inside the two-dimensional table take their guess from it.
  let lnBA: f64 = 0;
  let wA: f64 = 0;
  let lnBB: f64 = 0;
  let wB: f64 = 0;
  if (lowestA && lowestReady && yA <= T2_Y1) {
    lnBA = hostLog(betaA);
    wA = (yA >= T2_YLN ? qA6 : hostLog(blA)) / lnBA;
  }
  if (lowestB && lowestReady && yB <= T2_Y1) {
    lnBB = hostLog(betaB);
    wB = (yB >= T2_YLN ? gT6 : hostLog(blB)) / lnBB;
  }
  const tA = wA >= T2_W0 && wA <= 1;
  const tB = wB >= T2_W0 && wB <= 1;
  gLnBA = lnBA;
  gLnBB = lnBB;
  const mA = midA && lowestReady && yA <= T2_Y1;
  const mB = midB && lowestReady && yB <= T2_Y1;
  if ((midA || lowestA) && (midB || lowestB)) {
    // The common cases, interleaved: each lane on the lowest branch (rational cubic in f, then the inverse map) or
    // on the lower middle branch (rational cubic in s).
    let flA: f64 = 0;
    let d1A: f64 = 0;
    let d2A: f64 = 0;
    let flB: f64 = 0;
    let d1B: f64 = 0;
    let d2B: f64 = 0;
    if (lowestA) {
      flA = qA3 * blA;
      d1A = qA4;
      d2A = qA5 / blA;
    }
    if (lowestB) {
      flB = qB3 * blB;
      d1B = qB4;
      d2B = qB5 / blB;
    }
    // rFitRight / rationalCubic arguments: (bl, bc, sl, sc, 1/vl, 1/vc, 0, false) or (0, bl, 0, fl, 1, d1, d2, true).
    const okA = !tA && !mA && (midA || (d2A > -SQRT_DBL_MAX && d2A < SQRT_DBL_MAX));
    const okB = !tB && !mB && (midB || (d2B > -SQRT_DBL_MAX && d2B < SQRT_DBL_MAX));
    const xlA: f64 = midA ? blA : 0;
    const xlB: f64 = midB ? blB : 0;
    const xrA = midA ? bcA : blA;
    const xrB = midB ? bcB : blB;
    const ylA: f64 = midA ? slA : 0;
    const ylB: f64 = midB ? slB : 0;
    const yrA = midA ? scA : flA;
    const yrB = midB ? scB : flB;
    const dlA: f64 = midA ? 1 / vlA : 1;
    const dlB: f64 = midB ? 1 / vlB : 1;
    const drA = midA ? 1 / vcA : d1A;
    const drB = midB ? 1 / vcB : d1B;
    const d2rA: f64 = midA ? 0 : d2A;
    const d2rB: f64 = midB ? 0 : d2B;
    const rA = okA ? rFitRight(xlA, xrA, ylA, yrA, dlA, drA, d2rA, !midA) : 0;
    const rB = okB ? rFitRight(xlB, xrB, ylB, yrB, dlB, drB, d2rB, !midB) : 0;
    let fA: f64 = okA ? rationalCubic(betaA, xlA, xrA, ylA, yrA, dlA, drA, rA) : -1;
    let fB: f64 = okB ? rationalCubic(betaB, xlB, xrB, ylB, yrB, dlB, drB, rB) : -1;
    let sA: f64;
    let sB: f64;
    if (midA) {
      sA = mA ? midTableAt(yA, (betaA - blA) / (bcA - blA)) * scA : fA;
      gLoA = 0;
      gHiA = scA;
      gObjA = OBJ_DIRECT;
    } else if (tA) {
      sA = (lowestTableAt(yA, wA) * -xA) / Math.sqrt(-2 * lnBA);
      gLoA = 0;
      gHiA = scA;
      gObjA = OBJ_LOWER;
    } else {
      if (!(fA > 0)) {
        const tt = betaA / blA;
        fA = (flA * tt + blA * (1 - tt)) * tt;
      }
      sA = inverseLowerMap(xA, fA);
      gLoA = 0;
      gHiA = scA;
      gObjA = OBJ_LOWER;
    }
    if (midB) {
      sB = mB ? midTableAt(yB, (betaB - blB) / (bcB - blB)) * scB : fB;
      gLoB = 0;
      gHiB = scB;
      gObjB = OBJ_DIRECT;
    } else if (tB) {
      sB = (lowestTableAt(yB, wB) * -xB) / Math.sqrt(-2 * lnBB);
      gLoB = 0;
      gHiB = scB;
      gObjB = OBJ_LOWER;
    } else {
      if (!(fB > 0)) {
        const tt = betaB / blB;
        fB = (flB * tt + blB * (1 - tt)) * tt;
      }
      sB = inverseLowerMap(xB, fB);
      gLoB = 0;
      gHiB = scB;
      gObjB = OBJ_LOWER;
    }
    if (!(sA >= gLoA && sA <= gHiA)) sA = gHiA == Infinity ? 2 * gLoA + 1 : 0.5 * (gLoA + gHiA);
    if (!(sB >= gLoB && sB <= gHiB)) sB = gHiB == Infinity ? 2 * gLoB + 1 : 0.5 * (gLoB + gHiB);
    gSA = sA;
    gSB = sB;
    return true;
  }
  return false;
}

/**
 * The Householder iteration (householderFrom) of two lanes with the same objective (OBJ_DIRECT or OBJ_LOWER) in
 * lock-step; a lane still running when the other has converged continues on the scalar code. Results: gSA, gSB
 * and b′ at each lane's last iterate in gVA, gVB (as gVegaLast would hold after solving A, then B).
 */
function householderPair(objA: i32, objB: i32, betaA: f64, xA: f64, betaB: f64, xB: f64): void {
  let sA = gSA;
  let loA = gLoA;
  let hiA = gHiA;
  let sB = gSB;
  let loB = gLoB;
  let hiB = gHiB;
  const lowerA = objA == OBJ_LOWER;
  const lowerB = objB == OBJ_LOWER;
  const lower = lowerA | lowerB;
  const lnBetaA = lowerA ? (gLnBA != 0 ? gLnBA : hostLog(betaA)) : 0;
  const lnBetaB = lowerB ? (gLnBB != 0 ? gLnBB : hostLog(betaB)) : 0;
  const iLnBetaA = 1 / lnBetaA;
  const iLnBetaB = 1 / lnBetaB;
  const x2A = xA * xA;
  const x2B = xB * xB;
  const v0 = gVegaLast;
  let vA = v0;
  let vB = v0;
  let setA = false;
  let setB = false;
  let doneA = false;
  let doneB = false;
  let it: i32 = 0;
  for (; it < MAX_ITERATIONS; it++) {
    const isA = 1 / sA;
    const isB = 1 / sB;
    const is2A = isA * isA;
    const is2B = isB * isB;
    const h2bA = x2A * is2A * isA - 0.25 * sA;
    const h2bB = x2B * is2B * isB - 0.25 * sB;
    const h3bA = h2bA * h2bA - 3 * x2A * is2A * is2A - 0.25;
    const h3bB = h2bB * h2bB - 3 * x2B * is2B * is2B - 0.25;
    const accurate = true; // every iterate on the accurate b (../lets-be-rational.ts householder)
    blackAccuratePair(xA, sA, xB, sB);
    const bA = gPBA;
    const bpA = gPVA;
    const bB = gPBB;
    const bpB = gPVB;
    if (bA > betaA) hiA = sA;
    else if (bA < betaA) loA = sA;
    if (bB > betaB) hiB = sB;
    else if (bB < betaB) loB = sB;
    let nuA: f64 = 0;
    let nuB: f64 = 0;
    let h2A: f64 = h2bA;
    let h2B: f64 = h2bB;
    let h3A: f64 = h3bA;
    let h3B: f64 = h3bB;
    let stepA = true;
    let stepB = true;
    const dnuA = (betaA - bA) / bpA;
    const dnuB = (betaB - bB) / bpB;
    if (lower) {
      // Both objectives' formulas for each lane (a mixed pair), the lane's own one selected.
      stepA = !lowerA | (bA > 0);
      stepB = !lowerB | (bB > 0);
      const lrA = hostLog(bA / betaA);
      const lrB = hostLog(bB / betaB);
      const LA = lnBetaA + lrA;
      const LB = lnBetaB + lrB;
      const iLA = 1 / LA;
      const iLB = 1 / LB;
      const r1A = bpA / bA;
      const r1B = bpB / bB;
      const ir1A = bA / bpA;
      const ir1B = bB / bpB;
      const L2A = r1A * h2bA - r1A * r1A;
      const L2B = r1B * h2bB - r1B * r1B;
      const lnuA = -lrA * LA * ir1A * iLnBetaA;
      const lnuB = -lrB * LB * ir1B * iLnBetaB;
      const lh2A = h2bA - r1A - 2 * r1A * iLA;
      const lh2B = h2bB - r1B - 2 * r1B * iLB;
      const lh3A = h3bA - 3 * r1A * h2bA + 2 * r1A * r1A - 6 * L2A * iLA + 6 * r1A * r1A * iLA * iLA;
      const lh3B = h3bB - 3 * r1B * h2bB + 2 * r1B * r1B - 6 * L2B * iLB + 6 * r1B * r1B * iLB * iLB;
      nuA = lowerA ? lnuA : dnuA;
      nuB = lowerB ? lnuB : dnuB;
      h2A = lowerA ? lh2A : h2bA;
      h2B = lowerB ? lh2B : h2bB;
      h3A = lowerA ? lh3A : h3bA;
      h3B = lowerB ? lh3B : h3bB;
    } else {
      nuA = dnuA;
      nuB = dnuB;
    }
    if (stepA) {
      vA = bpA;
      setA = true;
      let ds = nuA;
      const hn = h2A * nuA;
      if (isFinite(hn)) {
        const den = 1 + nuA * (h2A + (h3A * nuA) / 6);
        const fac = (1 + 0.5 * hn) / den;
        if (fac > 0 && isFinite(fac)) ds = nuA * fac;
      }
      ds = max(-0.5 * sA, ds);
      if (Math.abs(ds) <= CONVERGED_STEP * sA) {
        sA += ds;
        if (accurate) doneA = true;
      } else {
        let sn = sA + ds;
        if (!(sn >= loA && sn <= hiA)) sn = hiA == Infinity ? max(2 * sA, loA * 2) : 0.5 * (loA + hiA);
        sA = sn;
      }
    } else sA = hiA == Infinity ? 2 * sA : 0.5 * (sA + hiA);
    if (stepB) {
      vB = bpB;
      setB = true;
      let ds = nuB;
      const hn = h2B * nuB;
      if (isFinite(hn)) {
        const den = 1 + nuB * (h2B + (h3B * nuB) / 6);
        const fac = (1 + 0.5 * hn) / den;
        if (fac > 0 && isFinite(fac)) ds = nuB * fac;
      }
      ds = max(-0.5 * sB, ds);
      if (Math.abs(ds) <= CONVERGED_STEP * sB) {
        sB += ds;
        if (accurate) doneB = true;
      } else {
        let sn = sB + ds;
        if (!(sn >= loB && sn <= hiB)) sn = hiB == Infinity ? max(2 * sB, loB * 2) : 0.5 * (loB + hiB);
        sB = sn;
      }
    } else sB = hiB == Infinity ? 2 * sB : 0.5 * (sB + hiB);
    if (doneA || doneB) break;
  }
  // Lane A (solved first in the scalar order): finish on the scalar code if B stopped the loop.
  let finalA = setA ? vA : v0;
  if (!doneA && it < MAX_ITERATIONS) {
    gVegaLast = finalA;
    sA = householderFrom(objA, betaA, xA, sA, loA, hiA, 0, it + 1);
    finalA = gVegaLast;
  }
  let finalB = setB ? vB : finalA;
  let itB = doneB ? it + 1 : it;
  if (!doneB && it < MAX_ITERATIONS) {
    gVegaLast = finalB;
    sB = householderFrom(objB, betaB, xB, sB, loB, hiB, 0, it + 1);
    finalB = gVegaLast;
    itB = gIterations;
  }
  gVegaLast = finalB;
  gIterations = itB;
  gSA = sA;
  gSB = sB;
  gVA = finalA;
  gVB = finalB;
}

/** Rows i and i + 1, both prepared (prepRow true): guess and iterate in lock-step where their paths agree. */
function solvePairRows(i: usize): void {
  const betaA = unchecked(LBETA[0]);
  const xA = unchecked(LX[0]);
  const betaB = unchecked(LBETA[1]);
  const xB = unchecked(LX[1]);
  if (!guessPair(betaA, xA, betaB, xB)) {
    solveRowScalar(i, 0);
    solveRowScalar(i + 1, 1);
    return;
  }
  householderPair(gObjA, gObjB, betaA, xA, betaB, xB);
  postRow(i, 0, gSA, gVA);
  postRow(i + 1, 1, gSB, gVB);
}

/** Implied volatility for rows [0, n) of the chunk: O_IV and O_ST. Rows go in pairs through solvePairRows. */
export function iv(n: i32): void {
  initCache();
  initLowestTable();
  let j = 0;
  for (; j + 1 < n; j += 2) {
    const i = <usize>j;
    const a = prepRow(i, 0);
    const b = prepRow(i + 1, 1);
    if (a && b) solvePairRows(i);
    else {
      if (a) solveRowScalar(i, 0);
      if (b) solveRowScalar(i + 1, 1);
    }
  }
  if (j < n && prepRow(<usize>j, 0)) solveRowScalar(<usize>j, 0);
}

/**
 * Greeks at the volatility in column `volCol` (I_V for greeks at a given σ, O_IV after the IV pass) for rows [0, n);
 * with onlyOk, rows whose status is not OK are skipped (already flagged and NaN-filled).
 */
@inline function greeksRow(i: usize, volCol: usize, onlyOk: bool): void {
  {
    if (onlyOk && load<u8>(O_ST + i) != OK) return;
    const o = i << 3;
    const rt = load<u8>(I_RT + i);
    const S = load<f64>(I_S + o);
    const K = load<f64>(I_K + o);
    const T = load<f64>(I_T + o);
    const r = load<f64>(I_R + o);
    const q = load<f64>(I_Q + o);
    const vol = load<f64>(volCol + o);
    if (!(rt <= 1 && S >= 1e-300 && S <= 1e300 && K >= 1e-300 && K <= 1e300 && T > 0 && T < Infinity && vol > 0 && vol < Infinity && r - r == 0 && q - q == 0)) {
      store<u8>(O_ST + i, vol != vol ? NO_PRICE : BAD_INPUT);
      writeNaNRow(i);
      return;
    }
    const isCall = rt == 0;
    const slot = discountSlot(T, r, q);
    const dq = unchecked(cDq[slot]);
    const dr = unchecked(cDr[slot]);
    const x = hostLog(S / K) + (r - q) * T;
    const sqrtT = Math.sqrt(T);
    const v = vol * sqrtT;
    const iv = 1 / v;
    const iSig = sqrtT * iv;
    const iSqrtT = vol * iv;
    const iS = 1 / S;
    const iT = iSqrtT * iSqrtT;
    const d1 = x * iv + 0.5 * v;
    const d2 = d1 - v;
    const e1 = fastExp(-0.5 * d1 * d1);
    const phi1 = ONE_OVER_SQRT_TWO_PI * e1;
    const sDq = S * dq;
    const kDr = K * dr;
    const iKDr = 1 / kDr;
    const e2 = e1 * sDq * iKDr;
    const a = isCall ? d1 : -d1;
    const b = isCall ? d2 : -d2;
    let n1: f64;
    let n2: f64;
    const ya = Math.abs(a) * ONE_OVER_SQRT_TWO;
    if (ya <= 0.46875) n1 = 0.5 + 0.5 * a * ONE_OVER_SQRT_TWO * erfSmallOverX(a * ONE_OVER_SQRT_TWO);
    else {
      const ca = ya <= 4 ? erfcxMid(ya) : erfcx(ya);
      n1 = a < 0 ? 0.5 * ca * e1 : 1 - 0.5 * ca * e1;
    }
    const yb = Math.abs(b) * ONE_OVER_SQRT_TWO;
    if (yb <= 0.46875) n2 = 0.5 + 0.5 * b * ONE_OVER_SQRT_TWO * erfSmallOverX(b * ONE_OVER_SQRT_TWO);
    else {
      const cb = yb <= 4 ? erfcxMid(yb) : erfcx(yb);
      n2 = b < 0 ? 0.5 * cb * e2 : 1 - 0.5 * cb * e2;
    }
    const th: f64 = isCall ? 1 : -1;
    const dqPhi = dq * phi1;
    const vega = S * dqPhi * sqrtT;
    const gamma = dqPhi * iS * iv;
    const cterm = 2 * (r - q) * T - x + 0.5 * v * v;
    const price = th * (sDq * n1 - kDr * n2);
    const delta = th * dq * n1;
    const theta = -0.5 * S * dqPhi * vol * iSqrtT - th * r * kDr * n2 + th * q * sDq * n1;
    const rho = th * K * T * dr * n2;
    const vanna = -dqPhi * d2 * iSig;
    const charm = th * q * dq * n1 - 0.5 * dqPhi * cterm * iT * iv;
    const vomma = vega * d1 * d2 * iSig;
    const speed = -gamma * iS * (d1 * iv + 1);
    const zomma = gamma * (d1 * d2 - 1) * iSig;
    const color = 0.5 * dqPhi * iS * iT * iv * (2 * q * T + 1 + cterm * d1 * iv);
    const dualDelta = -th * dr * n2;
    const dualGamma = dr * dr * ONE_OVER_SQRT_TWO_PI * e2 * iv * iKDr;
    const all = price + delta + gamma + vega + theta + rho + vanna + charm + vomma + speed + zomma + color + dualDelta + dualGamma;
    if (!(all - all == 0)) {
      store<u8>(O_ST + i, BAD_INPUT);
      writeNaNRow(i);
      return;
    }
    store<u8>(O_ST + i, OK);
    const p = O_IV + o;
    store<f64>(p, vol);
    store<f64>(p + 1 * C8, price);
    store<f64>(p + 2 * C8, delta);
    store<f64>(p + 3 * C8, gamma);
    store<f64>(p + 4 * C8, vega);
    store<f64>(p + 5 * C8, theta);
    store<f64>(p + 6 * C8, rho);
    store<f64>(p + 7 * C8, vanna);
    store<f64>(p + 8 * C8, charm);
    store<f64>(p + 9 * C8, vomma);
    store<f64>(p + 10 * C8, speed);
    store<f64>(p + 11 * C8, zomma);
    store<f64>(p + 12 * C8, color);
    store<f64>(p + 13 * C8, dualDelta);
    store<f64>(p + 14 * C8, dualGamma);
  }
}


// ---- Two rows per instruction (f64x2) -------------------------------------------------------------------------
// The same formulas, the same operations in the same order as greeksRow, so each lane returns greeksRow's bits.
// A pair goes to greeksRow instead when a lane is invalid, skipped, in the rare tail region of N(d) (|d|/√2 > 4),
// has an exponent outside fastExp's table range, or produces a non-finite output.

@inline function sp(x: f64): v128 {
  return f64x2.splat(x);
}
@inline function vadd(a: v128, b: v128): v128 {
  return f64x2.add(a, b);
}
@inline function vsub(a: v128, b: v128): v128 {
  return f64x2.sub(a, b);
}
@inline function vmul(a: v128, b: v128): v128 {
  return f64x2.mul(a, b);
}
@inline function vdiv(a: v128, b: v128): v128 {
  return f64x2.div(a, b);
}

const EXP_BIAS_BITS: i64 = 0x4338000000000000; // bits of SHIFTER = 1.5·2^52

/** fastExp on both lanes, for lanes in (−708, 708) (the caller checks). */
@inline function fastExp2(x: v128): v128 {
  const t = vadd(vmul(x, sp(N_OVER_LN2)), sp(SHIFTER));
  const k = vsub(t, sp(SHIFTER));
  const r = vsub(vsub(x, vmul(k, sp(LN2_OVER_N_HI))), vmul(k, sp(LN2_OVER_N_LO)));
  const ki = i64x2.sub(t, i64x2.splat(EXP_BIAS_BITS)); // k as an integer (|k| < 2^17)
  const j0 = <i32>i64x2.extract_lane(ki, 0) & 63;
  const j1 = <i32>i64x2.extract_lane(ki, 1) & 63;
  const m = i64x2.shr_s(ki, 6);
  const p = vadd(r, vmul(vmul(r, r), vadd(sp(0.5), vmul(r, vadd(sp(1.0 / 6), vmul(r, vadd(sp(1.0 / 24), vmul(r, sp(1.0 / 120)))))))));
  const hi = f64x2.replace_lane(f64x2.splat(unchecked(EXP_HI[j0])), 1, unchecked(EXP_HI[j1]));
  const lo = f64x2.replace_lane(f64x2.splat(unchecked(EXP_LO[j0])), 1, unchecked(EXP_LO[j1]));
  const pow2 = i64x2.shl(i64x2.add(m, i64x2.splat(1023)), 52);
  return vmul(pow2, vadd(hi, vadd(lo, vmul(hi, p))));
}

@inline function erfSmallRatio2(ysq: v128): v128 {
  let num = vmul(sp(0.185777706184603153), ysq);
  let den = ysq;
  num = vmul(vadd(num, sp(3.1611237438705656)), ysq);
  den = vmul(vadd(den, sp(23.6012909523441209)), ysq);
  num = vmul(vadd(num, sp(113.864154151050156)), ysq);
  den = vmul(vadd(den, sp(244.024637934444173)), ysq);
  num = vmul(vadd(num, sp(377.485237685302021)), ysq);
  den = vmul(vadd(den, sp(1282.61652607737228)), ysq);
  return vdiv(vadd(num, sp(3209.37758913846947)), vadd(den, sp(2844.23683343917062)));
}

@inline function erfcxMid2(y: v128): v128 {
  const y2 = vmul(y, y);
  const y4 = vmul(y2, y2);
  const num = vadd(
    vadd(
      vadd(vadd(sp(1230.33935479799725), vmul(sp(2051.07837782607147), y)), vmul(vadd(sp(1712.04761263407058), vmul(sp(881.95222124176909), y)), y2)),
      vmul(vadd(vadd(sp(298.635138197400131), vmul(sp(66.1191906371416295), y)), vmul(vadd(sp(8.88314979438837594), vmul(sp(0.564188496988670089), y)), y2)), y4),
    ),
    vmul(sp(2.15311535474403846e-8), vmul(y4, y4)),
  );
  const den = vadd(
    vadd(
      vadd(vadd(sp(1230.33935480374942), vmul(sp(3439.36767414372164), y)), vmul(vadd(sp(4362.61909014324716), vmul(sp(3290.79923573345963), y)), y2)),
      vmul(vadd(vadd(sp(1621.38957456669019), vmul(sp(537.181101862009858), y)), vmul(vadd(sp(117.693950891312499), vmul(sp(15.7449261107098347), y)), y2)), y4),
    ),
    vmul(y4, y4),
  );
  return vdiv(num, den);
}

/**
 * N(a) on both lanes as greeksRow: ½ + ½·a/√2·erf(a/√2)/(a/√2) for |a|/√2 ≤ 0.46875, else ½·erfcx(|a|/√2)·e (a < 0)
 * or 1 − ½·erfcx(|a|/√2)·e, with e = e^{−a²/2}; y = |a|/√2 ≤ 4 on both lanes (checked by the caller).
 */
@inline function ncdf2(a: v128, y: v128, e: v128): v128 {
  const small = f64x2.le(y, sp(0.46875));
  const bits = i64x2.bitmask(small);
  let ns = sp(0);
  let nm = sp(0);
  if (bits != 0) {
    const z = vmul(a, sp(ONE_OVER_SQRT_TWO));
    const az = f64x2.abs(z);
    const ysq = v128.bitselect(vmul(az, az), sp(0), f64x2.gt(az, sp(1.11e-16)));
    ns = vadd(sp(0.5), vmul(vmul(vmul(sp(0.5), a), sp(ONE_OVER_SQRT_TWO)), erfSmallRatio2(ysq)));
  }
  if (bits != 3) {
    const c = erfcxMid2(y);
    const h = vmul(vmul(sp(0.5), c), e);
    nm = v128.bitselect(h, vsub(sp(1), h), f64x2.lt(a, sp(0)));
  }
  return v128.bitselect(ns, nm, small);
}

const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const LG1: f64 = 6.666666666666735130e-01;
const LG2: f64 = 3.999999999940941908e-01;
const LG3: f64 = 2.857142874366239149e-01;
const LG4: f64 = 2.222219843214978396e-01;
const LG5: f64 = 1.818357216161805012e-01;
const LG6: f64 = 1.531383769920937332e-01;
const LG7: f64 = 1.479819860511658591e-01;

/**
 * ln of both lanes: fdlibm's __ieee754_log (the algorithm and constants of V8's Math.log, which the scalar path
 * imports), written lane-wise so that each lane returns Math.log's bits, for positive normal finite lanes whose
 * mantissa is not within 2^−20 of a power of two; other lanes take the host's Math.log.
 */
@inline function log2Lanes(v: v128): v128 {
  const normal = v128.and(f64x2.ge(v, sp(2.2250738585072014e-308)), f64x2.lt(v, sp(Infinity)));
  const hx = i64x2.shr_u(v, 32); // high words (positive: sign bit clear)
  const hxm = v128.and(hx, i64x2.splat(0x000fffff));
  const tiny = i64x2.lt_s(v128.and(i64x2.add(hxm, i64x2.splat(2)), i64x2.splat(0x000fffff)), i64x2.splat(3));
  if (!i64x2.all_true(normal) || v128.any_true(tiny)) {
    return f64x2.replace_lane(sp(hostLog(f64x2.extract_lane(v, 0))), 1, hostLog(f64x2.extract_lane(v, 1)));
  }
  const i = v128.and(i64x2.add(hxm, i64x2.splat(0x95f64)), i64x2.splat(0x100000));
  const newHi = v128.or(hxm, v128.xor(i, i64x2.splat(0x3ff00000)));
  const xn = v128.or(i64x2.shl(newHi, 32), v128.and(v, i64x2.splat(0xffffffff)));
  const kv = i64x2.add(i64x2.sub(i64x2.shr_s(hx, 20), i64x2.splat(1023)), i64x2.shr_s(i, 20));
  const f = vsub(xn, sp(1));
  const s = vdiv(f, vadd(sp(2), f));
  const dk = f64x2.replace_lane(sp(<f64>i64x2.extract_lane(kv, 0)), 1, <f64>i64x2.extract_lane(kv, 1));
  const z = vmul(s, s);
  const w = vmul(z, z);
  const t1 = vmul(w, vadd(sp(LG2), vmul(w, vadd(sp(LG4), vmul(w, sp(LG6))))));
  const t2 = vmul(z, vadd(sp(LG1), vmul(w, vadd(sp(LG3), vmul(w, vadd(sp(LG5), vmul(w, sp(LG7))))))));
  const R = vadd(t2, t1);
  const ij = v128.or(i64x2.sub(hxm, i64x2.splat(0x6147a)), i64x2.sub(i64x2.splat(0x6b851), hxm));
  const hfsq = vmul(vmul(sp(0.5), f), f);
  const dkHi = vmul(dk, sp(LN2_HI));
  const dkLo = vmul(dk, sp(LN2_LO));
  const ra = vsub(dkHi, vsub(vsub(hfsq, vadd(vmul(s, vadd(hfsq, R)), dkLo)), f));
  const rb = vsub(dkHi, vsub(vsub(vmul(s, vsub(f, R)), dkLo), f));
  return v128.bitselect(ra, rb, i64x2.gt_s(ij, i64x2.splat(0)));
}

@inline function greeksPair(i: usize, volCol: usize, onlyOk: bool): bool {
  if (onlyOk && load<u16>(O_ST + i) != 0) return false; // (both statuses OK: two zero bytes)
  if (load<u8>(I_RT + i) > 1 || load<u8>(I_RT + i + 1) > 1) return false;
  const o = i << 3;
  const S = v128.load(I_S + o);
  const K = v128.load(I_K + o);
  const T = v128.load(I_T + o);
  const r = v128.load(I_R + o);
  const q = v128.load(I_Q + o);
  const vol = v128.load(volCol + o);
  const big = sp(1e300);
  const tiny = sp(1e-300);
  let valid = v128.and(f64x2.ge(S, tiny), f64x2.le(S, big));
  valid = v128.and(valid, v128.and(f64x2.ge(K, tiny), f64x2.le(K, big)));
  valid = v128.and(valid, v128.and(f64x2.gt(T, sp(0)), f64x2.lt(T, sp(Infinity))));
  valid = v128.and(valid, v128.and(f64x2.gt(vol, sp(0)), f64x2.lt(vol, sp(Infinity))));
  valid = v128.and(valid, v128.and(f64x2.eq(vsub(r, r), sp(0)), f64x2.eq(vsub(q, q), sp(0))));
  if (!i64x2.all_true(valid)) return false;
  const th = f64x2.replace_lane(sp(load<u8>(I_RT + i) == 0 ? 1 : -1), 1, load<u8>(I_RT + i + 1) == 0 ? 1 : -1);
  // Each lookup's factors are read before the next lookup, which may evict them (two keys in one slot).
  const slot0 = discountSlot(f64x2.extract_lane(T, 0), f64x2.extract_lane(r, 0), f64x2.extract_lane(q, 0));
  const dq0 = unchecked(cDq[slot0]);
  const dr0 = unchecked(cDr[slot0]);
  const slot1 = discountSlot(f64x2.extract_lane(T, 1), f64x2.extract_lane(r, 1), f64x2.extract_lane(q, 1));
  const dq1 = unchecked(cDq[slot1]);
  const dr1 = unchecked(cDr[slot1]);
  const dq = f64x2.replace_lane(sp(dq0), 1, dq1);
  const dr = f64x2.replace_lane(sp(dr0), 1, dr1);
  const ratio = vdiv(S, K);
  const rq = vsub(r, q);
  const lg = log2Lanes(ratio);
  const x = vadd(lg, vmul(rq, T));
  const sqrtT = f64x2.sqrt(T);
  const v = vmul(vol, sqrtT);
  const iv = vdiv(sp(1), v);
  const iSig = vmul(sqrtT, iv);
  const iSqrtT = vmul(vol, iv);
  const iS = vdiv(sp(1), S);
  const iT = vmul(iSqrtT, iSqrtT);
  const d1 = vadd(vmul(x, iv), vmul(sp(0.5), v));
  const d2 = vsub(d1, v);
  const ex1 = vmul(vmul(sp(-0.5), d1), d1);
  if (!i64x2.all_true(v128.and(f64x2.gt(ex1, sp(-708)), f64x2.lt(ex1, sp(708))))) return false;
  const a = vmul(th, d1);
  const b = vmul(th, d2);
  const ya = vmul(f64x2.abs(a), sp(ONE_OVER_SQRT_TWO));
  const yb = vmul(f64x2.abs(b), sp(ONE_OVER_SQRT_TWO));
  if (!i64x2.all_true(v128.and(f64x2.le(ya, sp(4)), f64x2.le(yb, sp(4))))) return false;
  const e1 = fastExp2(ex1);
  const phi1 = vmul(sp(ONE_OVER_SQRT_TWO_PI), e1);
  const sDq = vmul(S, dq);
  const kDr = vmul(K, dr);
  const iKDr = vdiv(sp(1), kDr);
  const e2 = vmul(vmul(e1, sDq), iKDr);
  const n1 = ncdf2(a, ya, e1);
  const n2 = ncdf2(b, yb, e2);
  const dqPhi = vmul(dq, phi1);
  const vega = vmul(vmul(S, dqPhi), sqrtT);
  const gamma = vmul(vmul(dqPhi, iS), iv);
  const cterm = vadd(vsub(vmul(vmul(sp(2), rq), T), x), vmul(vmul(sp(0.5), v), v));
  const price = vmul(th, vsub(vmul(sDq, n1), vmul(kDr, n2)));
  const delta = vmul(vmul(th, dq), n1);
  const theta = vadd(
    vsub(vmul(vmul(vmul(vmul(sp(-0.5), S), dqPhi), vol), iSqrtT), vmul(vmul(vmul(th, r), kDr), n2)),
    vmul(vmul(vmul(th, q), sDq), n1),
  );
  const rho = vmul(vmul(vmul(vmul(th, K), T), dr), n2);
  const vanna = vmul(vmul(f64x2.neg(dqPhi), d2), iSig);
  const charm = vsub(vmul(vmul(vmul(th, q), dq), n1), vmul(vmul(vmul(vmul(sp(0.5), dqPhi), cterm), iT), iv));
  const vomma = vmul(vmul(vmul(vega, d1), d2), iSig);
  const speed = vmul(vmul(f64x2.neg(gamma), iS), vadd(vmul(d1, iv), sp(1)));
  const zomma = vmul(vmul(gamma, vsub(vmul(d1, d2), sp(1))), iSig);
  const color = vmul(
    vmul(vmul(vmul(vmul(sp(0.5), dqPhi), iS), iT), iv),
    vadd(vadd(vmul(vmul(sp(2), q), T), sp(1)), vmul(vmul(cterm, d1), iv)),
  );
  const dualDelta = vmul(vmul(f64x2.neg(th), dr), n2);
  const dualGamma = vmul(vmul(vmul(vmul(vmul(dr, dr), sp(ONE_OVER_SQRT_TWO_PI)), e2), iv), iKDr);
  let all = vadd(price, delta);
  all = vadd(all, gamma);
  all = vadd(all, vega);
  all = vadd(all, theta);
  all = vadd(all, rho);
  all = vadd(all, vanna);
  all = vadd(all, charm);
  all = vadd(all, vomma);
  all = vadd(all, speed);
  all = vadd(all, zomma);
  all = vadd(all, color);
  all = vadd(all, dualDelta);
  all = vadd(all, dualGamma);
  if (!i64x2.all_true(f64x2.eq(vsub(all, all), sp(0)))) return false;
  store<u16>(O_ST + i, 0);
  const p = O_IV + o;
  v128.store(p, vol);
  v128.store(p + 1 * C8, price);
  v128.store(p + 2 * C8, delta);
  v128.store(p + 3 * C8, gamma);
  v128.store(p + 4 * C8, vega);
  v128.store(p + 5 * C8, theta);
  v128.store(p + 6 * C8, rho);
  v128.store(p + 7 * C8, vanna);
  v128.store(p + 8 * C8, charm);
  v128.store(p + 9 * C8, vomma);
  v128.store(p + 10 * C8, speed);
  v128.store(p + 11 * C8, zomma);
  v128.store(p + 12 * C8, color);
  v128.store(p + 13 * C8, dualDelta);
  v128.store(p + 14 * C8, dualGamma);
  return true;
}

/**
 * Four rows per iteration: two independent f64x2 pairs (A = rows i, i+1; B = rows i+2, i+3), greeksPair's
 * statements interleaved so that the processor overlaps the two dependency chains (one pair alone is latency-bound).
 * Generated from greeksPair by renaming (suffixes A and B; the discount-cache lookups stay in order, each read before
 * the next lookup); a check that would send either pair to the fallback returns false, and the caller then runs
 * greeksPair on each pair.
 */
@inline function greeksQuad(i: usize, volCol: usize, onlyOk: bool): bool {
  const iA = i;
  const iB = i + 2;
  if ((onlyOk && load<u16>(O_ST + iA) != 0) || (onlyOk && load<u16>(O_ST + iB) != 0)) return false;
  if ((load<u8>(I_RT + iA) > 1 || load<u8>(I_RT + iA + 1) > 1) || (load<u8>(I_RT + iB) > 1 || load<u8>(I_RT + iB + 1) > 1)) return false;
  const oA = iA << 3;
  const oB = iB << 3;
  const SA = v128.load(I_S + oA);
  const SB = v128.load(I_S + oB);
  const KA = v128.load(I_K + oA);
  const KB = v128.load(I_K + oB);
  const TA = v128.load(I_T + oA);
  const TB = v128.load(I_T + oB);
  const rA = v128.load(I_R + oA);
  const rB = v128.load(I_R + oB);
  const qA = v128.load(I_Q + oA);
  const qB = v128.load(I_Q + oB);
  const volA = v128.load(volCol + oA);
  const volB = v128.load(volCol + oB);
  const big = sp(1e300);
  const tiny = sp(1e-300);
  let validA = v128.and(f64x2.ge(SA, tiny), f64x2.le(SA, big));
  let validB = v128.and(f64x2.ge(SB, tiny), f64x2.le(SB, big));
  validA = v128.and(validA, v128.and(f64x2.ge(KA, tiny), f64x2.le(KA, big)));
  validB = v128.and(validB, v128.and(f64x2.ge(KB, tiny), f64x2.le(KB, big)));
  validA = v128.and(validA, v128.and(f64x2.gt(TA, sp(0)), f64x2.lt(TA, sp(Infinity))));
  validB = v128.and(validB, v128.and(f64x2.gt(TB, sp(0)), f64x2.lt(TB, sp(Infinity))));
  validA = v128.and(validA, v128.and(f64x2.gt(volA, sp(0)), f64x2.lt(volA, sp(Infinity))));
  validB = v128.and(validB, v128.and(f64x2.gt(volB, sp(0)), f64x2.lt(volB, sp(Infinity))));
  validA = v128.and(validA, v128.and(f64x2.eq(vsub(rA, rA), sp(0)), f64x2.eq(vsub(qA, qA), sp(0))));
  validB = v128.and(validB, v128.and(f64x2.eq(vsub(rB, rB), sp(0)), f64x2.eq(vsub(qB, qB), sp(0))));
  if ((!i64x2.all_true(validA)) || (!i64x2.all_true(validB))) return false;
  const thA = f64x2.replace_lane(sp(load<u8>(I_RT + iA) == 0 ? 1 : -1), 1, load<u8>(I_RT + iA + 1) == 0 ? 1 : -1);
  const thB = f64x2.replace_lane(sp(load<u8>(I_RT + iB) == 0 ? 1 : -1), 1, load<u8>(I_RT + iB + 1) == 0 ? 1 : -1);
  const slot0A = discountSlot(f64x2.extract_lane(TA, 0), f64x2.extract_lane(rA, 0), f64x2.extract_lane(qA, 0));
  const dq0A = unchecked(cDq[slot0A]);
  const dr0A = unchecked(cDr[slot0A]);
  const slot1A = discountSlot(f64x2.extract_lane(TA, 1), f64x2.extract_lane(rA, 1), f64x2.extract_lane(qA, 1));
  const dq1A = unchecked(cDq[slot1A]);
  const dr1A = unchecked(cDr[slot1A]);
  const slot0B = discountSlot(f64x2.extract_lane(TB, 0), f64x2.extract_lane(rB, 0), f64x2.extract_lane(qB, 0));
  const dq0B = unchecked(cDq[slot0B]);
  const dr0B = unchecked(cDr[slot0B]);
  const slot1B = discountSlot(f64x2.extract_lane(TB, 1), f64x2.extract_lane(rB, 1), f64x2.extract_lane(qB, 1));
  const dq1B = unchecked(cDq[slot1B]);
  const dr1B = unchecked(cDr[slot1B]);
  const dqA = f64x2.replace_lane(sp(dq0A), 1, dq1A);
  const dqB = f64x2.replace_lane(sp(dq0B), 1, dq1B);
  const drA = f64x2.replace_lane(sp(dr0A), 1, dr1A);
  const drB = f64x2.replace_lane(sp(dr0B), 1, dr1B);
  const ratioA = vdiv(SA, KA);
  const ratioB = vdiv(SB, KB);
  const rqA = vsub(rA, qA);
  const rqB = vsub(rB, qB);
  const lgA = log2Lanes(ratioA);
  const lgB = log2Lanes(ratioB);
  const xA = vadd(lgA, vmul(rqA, TA));
  const xB = vadd(lgB, vmul(rqB, TB));
  const sqrtTA = f64x2.sqrt(TA);
  const sqrtTB = f64x2.sqrt(TB);
  const vA = vmul(volA, sqrtTA);
  const vB = vmul(volB, sqrtTB);
  const ivA = vdiv(sp(1), vA);
  const ivB = vdiv(sp(1), vB);
  const iSigA = vmul(sqrtTA, ivA);
  const iSigB = vmul(sqrtTB, ivB);
  const iSqrtTA = vmul(volA, ivA);
  const iSqrtTB = vmul(volB, ivB);
  const iSA = vdiv(sp(1), SA);
  const iSB = vdiv(sp(1), SB);
  const iTA = vmul(iSqrtTA, iSqrtTA);
  const iTB = vmul(iSqrtTB, iSqrtTB);
  const d1A = vadd(vmul(xA, ivA), vmul(sp(0.5), vA));
  const d1B = vadd(vmul(xB, ivB), vmul(sp(0.5), vB));
  const d2A = vsub(d1A, vA);
  const d2B = vsub(d1B, vB);
  const ex1A = vmul(vmul(sp(-0.5), d1A), d1A);
  const ex1B = vmul(vmul(sp(-0.5), d1B), d1B);
  if ((!i64x2.all_true(v128.and(f64x2.gt(ex1A, sp(-708)), f64x2.lt(ex1A, sp(708))))) || (!i64x2.all_true(v128.and(f64x2.gt(ex1B, sp(-708)), f64x2.lt(ex1B, sp(708)))))) return false;
  const aA = vmul(thA, d1A);
  const aB = vmul(thB, d1B);
  const bA = vmul(thA, d2A);
  const bB = vmul(thB, d2B);
  const yaA = vmul(f64x2.abs(aA), sp(ONE_OVER_SQRT_TWO));
  const yaB = vmul(f64x2.abs(aB), sp(ONE_OVER_SQRT_TWO));
  const ybA = vmul(f64x2.abs(bA), sp(ONE_OVER_SQRT_TWO));
  const ybB = vmul(f64x2.abs(bB), sp(ONE_OVER_SQRT_TWO));
  if ((!i64x2.all_true(v128.and(f64x2.le(yaA, sp(4)), f64x2.le(ybA, sp(4))))) || (!i64x2.all_true(v128.and(f64x2.le(yaB, sp(4)), f64x2.le(ybB, sp(4)))))) return false;
  const e1A = fastExp2(ex1A);
  const e1B = fastExp2(ex1B);
  const phi1A = vmul(sp(ONE_OVER_SQRT_TWO_PI), e1A);
  const phi1B = vmul(sp(ONE_OVER_SQRT_TWO_PI), e1B);
  const sDqA = vmul(SA, dqA);
  const sDqB = vmul(SB, dqB);
  const kDrA = vmul(KA, drA);
  const kDrB = vmul(KB, drB);
  const iKDrA = vdiv(sp(1), kDrA);
  const iKDrB = vdiv(sp(1), kDrB);
  const e2A = vmul(vmul(e1A, sDqA), iKDrA);
  const e2B = vmul(vmul(e1B, sDqB), iKDrB);
  const n1A = ncdf2(aA, yaA, e1A);
  const n1B = ncdf2(aB, yaB, e1B);
  const n2A = ncdf2(bA, ybA, e2A);
  const n2B = ncdf2(bB, ybB, e2B);
  const dqPhiA = vmul(dqA, phi1A);
  const dqPhiB = vmul(dqB, phi1B);
  const vegaA = vmul(vmul(SA, dqPhiA), sqrtTA);
  const vegaB = vmul(vmul(SB, dqPhiB), sqrtTB);
  const gammaA = vmul(vmul(dqPhiA, iSA), ivA);
  const gammaB = vmul(vmul(dqPhiB, iSB), ivB);
  const ctermA = vadd(vsub(vmul(vmul(sp(2), rqA), TA), xA), vmul(vmul(sp(0.5), vA), vA));
  const ctermB = vadd(vsub(vmul(vmul(sp(2), rqB), TB), xB), vmul(vmul(sp(0.5), vB), vB));
  const priceA = vmul(thA, vsub(vmul(sDqA, n1A), vmul(kDrA, n2A)));
  const priceB = vmul(thB, vsub(vmul(sDqB, n1B), vmul(kDrB, n2B)));
  const deltaA = vmul(vmul(thA, dqA), n1A);
  const deltaB = vmul(vmul(thB, dqB), n1B);
  const thetaA = vadd(
    vsub(vmul(vmul(vmul(vmul(sp(-0.5), SA), dqPhiA), volA), iSqrtTA), vmul(vmul(vmul(thA, rA), kDrA), n2A)),
    vmul(vmul(vmul(thA, qA), sDqA), n1A),
  );
  const thetaB = vadd(
    vsub(vmul(vmul(vmul(vmul(sp(-0.5), SB), dqPhiB), volB), iSqrtTB), vmul(vmul(vmul(thB, rB), kDrB), n2B)),
    vmul(vmul(vmul(thB, qB), sDqB), n1B),
  );
  const rhoA = vmul(vmul(vmul(vmul(thA, KA), TA), drA), n2A);
  const rhoB = vmul(vmul(vmul(vmul(thB, KB), TB), drB), n2B);
  const vannaA = vmul(vmul(f64x2.neg(dqPhiA), d2A), iSigA);
  const vannaB = vmul(vmul(f64x2.neg(dqPhiB), d2B), iSigB);
  const charmA = vsub(vmul(vmul(vmul(thA, qA), dqA), n1A), vmul(vmul(vmul(vmul(sp(0.5), dqPhiA), ctermA), iTA), ivA));
  const charmB = vsub(vmul(vmul(vmul(thB, qB), dqB), n1B), vmul(vmul(vmul(vmul(sp(0.5), dqPhiB), ctermB), iTB), ivB));
  const vommaA = vmul(vmul(vmul(vegaA, d1A), d2A), iSigA);
  const vommaB = vmul(vmul(vmul(vegaB, d1B), d2B), iSigB);
  const speedA = vmul(vmul(f64x2.neg(gammaA), iSA), vadd(vmul(d1A, ivA), sp(1)));
  const speedB = vmul(vmul(f64x2.neg(gammaB), iSB), vadd(vmul(d1B, ivB), sp(1)));
  const zommaA = vmul(vmul(gammaA, vsub(vmul(d1A, d2A), sp(1))), iSigA);
  const zommaB = vmul(vmul(gammaB, vsub(vmul(d1B, d2B), sp(1))), iSigB);
  const colorA = vmul(
    vmul(vmul(vmul(vmul(sp(0.5), dqPhiA), iSA), iTA), ivA),
    vadd(vadd(vmul(vmul(sp(2), qA), TA), sp(1)), vmul(vmul(ctermA, d1A), ivA)),
  );
  const colorB = vmul(
    vmul(vmul(vmul(vmul(sp(0.5), dqPhiB), iSB), iTB), ivB),
    vadd(vadd(vmul(vmul(sp(2), qB), TB), sp(1)), vmul(vmul(ctermB, d1B), ivB)),
  );
  const dualDeltaA = vmul(vmul(f64x2.neg(thA), drA), n2A);
  const dualDeltaB = vmul(vmul(f64x2.neg(thB), drB), n2B);
  const dualGammaA = vmul(vmul(vmul(vmul(vmul(drA, drA), sp(ONE_OVER_SQRT_TWO_PI)), e2A), ivA), iKDrA);
  const dualGammaB = vmul(vmul(vmul(vmul(vmul(drB, drB), sp(ONE_OVER_SQRT_TWO_PI)), e2B), ivB), iKDrB);
  let allA = vadd(priceA, deltaA);
  let allB = vadd(priceB, deltaB);
  allA = vadd(allA, gammaA);
  allB = vadd(allB, gammaB);
  allA = vadd(allA, vegaA);
  allB = vadd(allB, vegaB);
  allA = vadd(allA, thetaA);
  allB = vadd(allB, thetaB);
  allA = vadd(allA, rhoA);
  allB = vadd(allB, rhoB);
  allA = vadd(allA, vannaA);
  allB = vadd(allB, vannaB);
  allA = vadd(allA, charmA);
  allB = vadd(allB, charmB);
  allA = vadd(allA, vommaA);
  allB = vadd(allB, vommaB);
  allA = vadd(allA, speedA);
  allB = vadd(allB, speedB);
  allA = vadd(allA, zommaA);
  allB = vadd(allB, zommaB);
  allA = vadd(allA, colorA);
  allB = vadd(allB, colorB);
  allA = vadd(allA, dualDeltaA);
  allB = vadd(allB, dualDeltaB);
  allA = vadd(allA, dualGammaA);
  allB = vadd(allB, dualGammaB);
  if ((!i64x2.all_true(f64x2.eq(vsub(allA, allA), sp(0)))) || (!i64x2.all_true(f64x2.eq(vsub(allB, allB), sp(0))))) return false;
  store<u16>(O_ST + iA, 0);
  store<u16>(O_ST + iB, 0);
  const pA = O_IV + oA;
  const pB = O_IV + oB;
  v128.store(pA, volA);
  v128.store(pB, volB);
  v128.store(pA + 1 * C8, priceA);
  v128.store(pB + 1 * C8, priceB);
  v128.store(pA + 2 * C8, deltaA);
  v128.store(pB + 2 * C8, deltaB);
  v128.store(pA + 3 * C8, gammaA);
  v128.store(pB + 3 * C8, gammaB);
  v128.store(pA + 4 * C8, vegaA);
  v128.store(pB + 4 * C8, vegaB);
  v128.store(pA + 5 * C8, thetaA);
  v128.store(pB + 5 * C8, thetaB);
  v128.store(pA + 6 * C8, rhoA);
  v128.store(pB + 6 * C8, rhoB);
  v128.store(pA + 7 * C8, vannaA);
  v128.store(pB + 7 * C8, vannaB);
  v128.store(pA + 8 * C8, charmA);
  v128.store(pB + 8 * C8, charmB);
  v128.store(pA + 9 * C8, vommaA);
  v128.store(pB + 9 * C8, vommaB);
  v128.store(pA + 10 * C8, speedA);
  v128.store(pB + 10 * C8, speedB);
  v128.store(pA + 11 * C8, zommaA);
  v128.store(pB + 11 * C8, zommaB);
  v128.store(pA + 12 * C8, colorA);
  v128.store(pB + 12 * C8, colorB);
  v128.store(pA + 13 * C8, dualDeltaA);
  v128.store(pB + 13 * C8, dualDeltaB);
  v128.store(pA + 14 * C8, dualGammaA);
  v128.store(pB + 14 * C8, dualGammaB);
  return true;
}

function greeksLoop(n: i32, volCol: usize, onlyOk: bool): void {
  initCache();
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const i = <usize>j;
    if (greeksQuad(i, volCol, onlyOk)) continue;
    if (!greeksPair(i, volCol, onlyOk)) {
      greeksRow(i, volCol, onlyOk);
      greeksRow(i + 1, volCol, onlyOk);
    }
    if (!greeksPair(i + 2, volCol, onlyOk)) {
      greeksRow(i + 2, volCol, onlyOk);
      greeksRow(i + 3, volCol, onlyOk);
    }
  }
  for (; j + 1 < n; j += 2) {
    const i = <usize>j;
    if (!greeksPair(i, volCol, onlyOk)) {
      greeksRow(i, volCol, onlyOk);
      greeksRow(i + 1, volCol, onlyOk);
    }
  }
  if (j < n) greeksRow(<usize>j, volCol, onlyOk);
}

/** IV, then every Greek at it, for rows [0, n) of the chunk. */
export function ivAndGreeks(n: i32): void {
  iv(n);
  for (let j = 0; j < n; j++) {
    const i = <usize>j;
    if (load<u8>(O_ST + i) != OK) writeNaNRow(i);
  }
  greeksLoop(n, O_IV, true);
}

/** Greeks at the given σ (column I_V) for rows [0, n). */
export function greeks(n: i32): void {
  greeksLoop(n, I_V, false);
}

/** b(x, s) for x ≤ 0 (accurate evaluation), for tests. */
export function normalisedBlackOtm(x: f64, s: f64): f64 {
  blackAccurate(x, s);
  return gB;
}
