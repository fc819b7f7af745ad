// sincos on the GPU: b = sin(2 pi a)^2 + cos(2 pi a)^2 and b - 1 at one element.
// a is drawn from the global index exactly as the CPU kernel does (plugins/sincos):
// the i-th output of SplitMix64 started from the seed (the workload's parameter
// params.seed), top 53 bits scaled to [0, 1). Needs SHADER_INT64.

const SINCOS_GAMMA: u64 = 0x9E3779B97F4A7C15lu;
const SINCOS_MUL1: u64 = 0xBF58476D1CE4E5B9lu;
const SINCOS_MUL2: u64 = 0x94D049BB133111EBlu;
const SINCOS_TAU: f64 = 6.283185307179586lf;

fn sincos_uniform(i: u64) -> f64 {
    var z = params.seed + (i + 1lu) * SINCOS_GAMMA;
    z = (z ^ (z >> 30u)) * SINCOS_MUL1;
    z = (z ^ (z >> 27u)) * SINCOS_MUL2;
    z = z ^ (z >> 31u);
    // (z >> 11) < 2^53 converts exactly: as two 32-bit halves, hi * 2^32 + lo.
    let top = z >> 11u;
    let hi = f64(u32(top >> 32u));
    let lo = f64(u32(top & 0xFFFFFFFFlu));
    return (hi * 4294967296.0lf + lo) * 1.1102230246251565e-16lf; // 2^-53
}

fn grid_point(p: GridPoint) {
    let sc = sincos_f64(SINCOS_TAU * sincos_uniform(p.global));
    let b = sc.x * sc.x + sc.y * sc.y;
    out_b[p.local] = b;
    out_b_minus_1[p.local] = b - 1.0lf;
}
