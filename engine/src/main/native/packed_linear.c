/*
 * Matrix products for decoding on the CPU, beside libtorch's: y = x·Wᵀ (+ bias) (+ add) with W (N, K)
 * packed once into panels of 48 of its rows (48 columns of y), k-major: W[p·48 + c][k] is stored at
 * packed[p·48·K + k·48 + c], rows past N as zeros. Loaded by org.mmgpt.engine.model.PackedWeight.
 *
 * Why: a decode step multiplies every weight by a few rows of activations. MKL's sgemm takes 1.8-1.9x
 * the time of one row for eight (it packs the weight on every call), so batch 8 decoded only about
 * 4.4x faster than batch 1; with the weight packed once and streamed once for up to 8 rows, eight
 * rows cost about as much as one. A step's products of the 32M `small` shape on 2 cores of a Zen 4
 * (./mmgpt bench-generate, noisy machine): 4.3 ms at 1 row either way; at 8 rows 7.7 ms with MKL,
 * 4.3-4.8 ms packed.
 */
#include <stddef.h>

#define PANEL 48

void mmgpt_linear_avx512(const float *x, long m, long k, const float *packed, long n, const float *bias,
        const float *add, float *y);
void mmgpt_linear_avx2(const float *x, long m, long k, const float *packed, long n, const float *bias,
        const float *add, float *y);

/* 2: AVX-512F, 1: AVX2 with FMA, 0: neither (the engine keeps libtorch's products) */
int mmgpt_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

/* floats the packed form of an n-row weight with k columns takes */
long mmgpt_packed_size(long n, long k) {
    return (n + PANEL - 1) / PANEL * PANEL * k;
}

/* rows [0, n) and columns [0, k) of w, whose rows are ld floats apart */
void mmgpt_pack(const float *w, long n, long k, long ld, float *packed) {
    for (long p = 0; p < n; p += PANEL) {
        float *panel = packed + p * k;
        for (long c = 0; c < PANEL; c++) {
            const float *row = p + c < n ? w + (p + c) * ld : NULL;
            for (long j = 0; j < k; j++) panel[j * PANEL + c] = row ? row[j] : 0.0f;
        }
    }
}

void mmgpt_linear(int isa, const float *x, long m, long k, const float *packed, long n, const float *bias,
        const float *add, float *y) {
    if (isa == 2) mmgpt_linear_avx512(x, m, k, packed, n, bias, add, y);
    else mmgpt_linear_avx2(x, m, k, packed, n, bias, add, y);
}
