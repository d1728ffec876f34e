/*
 * y = x·Wᵀ (+ bias) (+ add) for a weight packed in panels (see packed_linear.c), compiled once per
 * instruction set: -DLANES=16 with AVX-512, -DLANES=8 with AVX2; KERNEL names the entry point.
 *
 * A tile is MR rows of x times 3·LANES rows of W (columns of y), held in 3·MR vector accumulators
 * (24 registers of AVX-512's 32, 12 of AVX2's 16): each step along k loads 3 vectors of the panel,
 * broadcasts MR values of x and issues 3·MR fused multiply-adds. The panel is one contiguous stream,
 * read once from memory for up to MR rows; the next rows of x reread it from cache. Every row's sum
 * runs through the same k order whatever the number of rows, so a row's output does not depend on
 * the rows beside it: the same bits alone or in a batch.
 */
#include <stddef.h>

#define PANEL 48                 /* columns a panel holds: 3 AVX-512 vectors, 6 AVX2 vectors */
#define TILE (3 * LANES)         /* columns a tile computes */
#define MR (LANES / 2)           /* rows of x a tile computes */
#define PREFETCH (4096 / 4)      /* floats ahead on the panel stream: 16 KiB (of 4 and 16 KiB, the faster on Zen 4) */
/* The prefetch is non-temporal: a decode step reads each weight once, and keeping 100 MB of them in
   the L3 only pushes out what is read again (the KV cache, the activations, the code); batch 8 ran
   1377 and 1505 tok/s against 1134 and 1351 with ordinary prefetches, runs taking turns */

typedef float vec __attribute__((vector_size(LANES * 4), aligned(4))); /* aligned(4): loads may be unaligned */

static inline __attribute__((always_inline)) void tile(const float *x, long k_dim, const float *w, int rows,
        int cols, const float *bias, const float *add, long ld, float *y) {
    vec acc[MR][3];
#pragma GCC unroll 8
    for (int i = 0; i < rows; i++) {
        acc[i][0] = acc[i][1] = acc[i][2] = (vec){0};
    }
    for (long k = 0; k < k_dim; k++) {
        const float *wk = w + k * PANEL;
        vec w0 = *(const vec *)wk, w1 = *(const vec *)(wk + LANES), w2 = *(const vec *)(wk + 2 * LANES);
        __builtin_prefetch(wk + PREFETCH, 0, 0);
#pragma GCC unroll 8
        for (int i = 0; i < rows; i++) {
            vec xi = x[i * k_dim + k] - (vec){0}; /* broadcast */
            acc[i][0] += xi * w0;                 /* contracted to FMA (-ffp-contract=fast) */
            acc[i][1] += xi * w1;
            acc[i][2] += xi * w2;
        }
    }
    for (int i = 0; i < rows; i++) {
        float sum[TILE];
        *(vec *)sum = acc[i][0];
        *(vec *)(sum + LANES) = acc[i][1];
        *(vec *)(sum + 2 * LANES) = acc[i][2];
        for (int c = 0; c < cols; c++) {
            float v = sum[c];
            if (bias) v += bias[c];
            if (add) v += add[i * ld + c];
            y[i * ld + c] = v;
        }
    }
}

/* rows ≤ MR; a switch so that each count gets its own fully unrolled tile */
static void tile_rows(const float *x, long k_dim, const float *w, int rows, int cols, const float *bias,
        const float *add, long ld, float *y) {
    switch (rows) {
#define CASE(R) case R: tile(x, k_dim, w, R, cols, bias, add, ld, y); break;
        CASE(1) CASE(2) CASE(3) CASE(4)
#if MR > 4
        CASE(5) CASE(6) CASE(7) CASE(8)
#endif
#undef CASE
    }
}

/* x (m, k) and y (m, n) contiguous; packed as packed_linear.c writes it; bias (n) and add (m, n) or NULL */
void KERNEL(const float *x, long m, long k, const float *packed, long n, const float *bias, const float *add,
        float *y) {
    for (long p = 0; p < n; p += PANEL) {           /* each panel from memory once ... */
        const float *panel = packed + p * k;
        for (long r = 0; r < m; r += MR) {          /* ... for every MR rows of x */
            int rows = m - r < MR ? (int)(m - r) : MR;
            for (long t = 0; t < PANEL && p + t < n; t += TILE) {
                long c0 = p + t;
                int cols = n - c0 < TILE ? (int)(n - c0) : TILE;
                tile_rows(x + r * k, k, panel + t, rows, cols, bias ? bias + c0 : NULL,
                        add ? add + r * n + c0 : NULL, n, y + r * n + c0);
            }
        }
    }
}
