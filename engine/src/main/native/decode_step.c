/*
 * One decode step (one new token per row) of one shard of org.mmgpt.engine.model.ShardedDecoder, in a
 * single native call: every layer's norms, products, rotation, cache write, attention and SwiGLU,
 * the shards' exchanges of their partial o_proj/down_proj outputs, the final norm and the shard's
 * rows of the output head. Loaded with the packed products (packed_linear.c), whose kernels it calls.
 *
 * Why: the same step as libtorch operators costs about 60 calls a layer and shard (4-5 us each from
 * Java), 2-3 ms a step of the 32M `small` shape beside 4.5-5 ms of products; here it costs the
 * products and a few microseconds. The math is the one of Attention, Mlp and RmsNorm (the Java
 * decoder, which prefill, training and the tests' reference use); ShardedDecoderTest holds the two
 * equal for every architecture.
 *
 * Compiled with AVX2 and FMA: the engine calls it only where the packed products run, which need them.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void mmgpt_linear(int isa, const float *x, long m, long k, const float *packed, long n, const float *bias,
        const float *add, float *y);

/* the addresses of one layer's weights in the table the engine passes (0 for none) */
enum { IN_NORM, POST_NORM, Q_NORM, K_NORM, Q, Q_BIAS, K, K_BIAS, V, V_BIAS, O, O_BIAS,
       GATE, GATE_BIAS, UP, UP_BIAS, DOWN, DOWN_BIAS, LAYER_FIELDS };
/* and of one layer's step: this shard's cache slot (B, kvh, capacity, hd) and the additive mask (rows, S) */
enum { KEYS, VALUES, CAPACITY, MASK, STEP_FIELDS };

/*
 * The shards' meeting point, shared memory of 4 ints: arrived, generation, sleepers, aborted.
 * An early shard spins for a while (its partner is usually microseconds away), then sleeps on the
 * generation word until the last arrival bumps it. Sleeping matters when another thread (the JIT,
 * the garbage collector) takes one of two cores: a spinning shard would hold the core its partner
 * needs for a whole time slice.
 */
enum { ARRIVED, GENERATION, SLEEPERS, ABORTED };
#define SPIN_ROUNDS 20000 /* about 0.5 ms of pause instructions on this project's Zen 4 (25 ns each) */

static void futex(atomic_int *word, int op, int value) {
    struct timespec limit = {0, 1000000}; /* wake up each millisecond to look at the abort flag */
    syscall(SYS_futex, word, op, value, op == FUTEX_WAIT_PRIVATE ? &limit : NULL, NULL, 0);
}

/* 0 when every shard arrived, -1 when the engine aborted the step (another shard failed) */
static int meet(atomic_int *b, int parties) {
    int generation = atomic_load(&b[GENERATION]);
    if (atomic_fetch_add(&b[ARRIVED], 1) == parties - 1) {
        atomic_store(&b[ARRIVED], 0);
        atomic_fetch_add(&b[GENERATION], 1);
        if (atomic_load(&b[SLEEPERS]) > 0) futex(&b[GENERATION], FUTEX_WAKE_PRIVATE, INT_MAX);
        return 0;
    }
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        if (atomic_load_explicit(&b[GENERATION], memory_order_acquire) != generation) return 0;
        __builtin_ia32_pause();
    }
    /* counted before the last look at the generation, which the last arrival bumps before it counts
       sleepers: one of the two sees the other, so no wake-up is lost */
    atomic_fetch_add(&b[SLEEPERS], 1);
    while (atomic_load(&b[GENERATION]) == generation && !atomic_load(&b[ABORTED])) {
        futex(&b[GENERATION], FUTEX_WAIT_PRIVATE, generation);
    }
    atomic_fetch_sub(&b[SLEEPERS], 1);
    return atomic_load(&b[GENERATION]) != generation ? 0 : -1;
}

typedef float v8 __attribute__((vector_size(32), aligned(4))); /* aligned(4): loads may be unaligned */

/* Σ a[i]·b[i], in 16 lanes: a compiler keeps a float sum in order, one dependent add after another */
static float dot(const float *a, const float *b, long n) {
    v8 acc0 = {0}, acc1 = {0};
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 += *(const v8 *)(a + i) * *(const v8 *)(b + i);
        acc1 += *(const v8 *)(a + i + 8) * *(const v8 *)(b + i + 8);
    }
    v8 acc = acc0 + acc1;
    float sum = 0;
    for (int j = 0; j < 8; j++) sum += acc[j];
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

/* y = w · x / sqrt(mean(x²) + eps) for `rows` rows of `dim` (RmsNorm); y may be x */
static void rms_norm(const float *x, const float *w, long rows, long dim, float eps, float *y) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * dim;
        float *yr = y + r * dim;
        float inv = 1.0f / sqrtf(dot(xr, xr, dim) / (float)dim + eps);
        for (long i = 0; i < dim; i++) yr[i] = xr[i] * inv * w[i];
    }
}

/* x' = x·cos + rotate_half(x)·sin for `heads` heads of hd, rotate_half([x1, x2]) = [−x2, x1] */
static void rotate(float *x, long heads, long hd, const float *cos, const float *sin) {
    long half = hd / 2;
    for (long h = 0; h < heads; h++) {
        float *xh = x + h * hd;
        for (long i = 0; i < half; i++) {
            float a = xh[i], b = xh[i + half];
            xh[i] = a * cos[i] - b * sin[i];
            xh[i + half] = b * cos[i + half] + a * sin[i + half];
        }
    }
}

/*
 * One row's grouped-query attention over its s cached positions: query head h reads kv head
 * h / group. q (qh, hd) → out (qh, hd); keys/values at (g·capacity + t)·hd; mask (s) or NULL.
 */
static void attend(const float *q, const float *keys, const float *values, long capacity, const float *mask,
        long s, long qh, long kvh, long hd, float *scores, float *out) {
    long group = qh / kvh;
    float scale = 1.0f / sqrtf((float)hd);
    for (long h = 0; h < qh; h++) {
        const float *qv = q + h * hd;
        const float *k = keys + (h / group) * capacity * hd;
        const float *v = values + (h / group) * capacity * hd;
        float max = -INFINITY;
        for (long t = 0; t < s; t++) {
            scores[t] = dot(qv, k + t * hd, hd) * scale + (mask ? mask[t] : 0.0f);
            if (scores[t] > max) max = scores[t];
        }
        float sum = 0;
        for (long t = 0; t < s; t++) {
            scores[t] = expf(scores[t] - max);
            sum += scores[t];
        }
        float *o = out + h * hd;
        memset(o, 0, hd * sizeof(float));
        for (long t = 0; t < s; t++) {
            float p = scores[t] / sum;
            for (long i = 0; i < hd; i++) o[i] += p * v[t * hd + i];
        }
    }
}

/* the sum of every shard's partial (b, h) in shard order, so that every shard gets the same bits */
static void sum_parts(const float *parts, int parties, long size, float *x) {
    memcpy(x, parts, size * sizeof(float));
    for (int p = 1; p < parties; p++) {
        const float *part = parts + p * size;
        for (long i = 0; i < size; i++) x[i] += part[i];
    }
}

#define AT(table, field) ((const float *)(table)[field])

/*
 * x ← x + in·Wᵀ (+ bias) for o_proj and down_proj, whose weight the shards split by its columns:
 * each multiplies its slice of `in` (b, k) into its part of the exchange, shard 0's carrying x and
 * the bias (through `add`, b·h floats of scratch), and after the meeting every shard sums the parts
 * in shard order. `parts`: this round's parties·b·h floats. Returns meet's status.
 */
static int add_projection(int isa, const float *in, long b, long k, const float *w, const float *bias, float *x,
        long h, float *add, float *parts, int shard, int parties, atomic_int *meeting) {
    const float *residual = NULL;
    if (shard == 0) {
        residual = x;
        if (bias) {
            for (long i = 0; i < b * h; i++) add[i] = x[i] + bias[i % h];
            residual = add;
        }
    }
    mmgpt_linear(isa, in, b, k, w, h, NULL, residual, parts + shard * b * h);
    int status = meet(meeting, parties);
    if (status == 0) sum_parts(parts, parties, b * h, x);
    return status;
}

/*
 * Shard `shard` of `parties`: ids (b) → its columns of the logits, (b, vocab_rows) at rows
 * logits_ld floats apart (its place in all shards' (b, V)). Dimensions are the
 * shard's: qh query and kvh key/value heads of hd, inter MLP units. past: positions cached before
 * this one (the new key and value go to position past). cos, sin (b, hd): the rows' rotations.
 * embedding (V, h): the token embeddings, which the engine has checked every id indexes.
 * exchange: 2·parties·b·h floats shared by the shards; barrier: 4 ints shared, zero at first.
 * Returns 0, -1 if aborted, -2 if out of memory.
 */
int mmgpt_decode_step(int isa, int shard, int parties, int layers, const long *weights, const long *steps,
        long b, long h, long qh, long kvh, long hd, long inter, long vocab_rows, float eps, long past,
        long mask_rows, const float *cos, const float *sin, const long *ids, const float *embedding, float *exchange,
        int *barrier, float *logits, long logits_ld) {
    long s = past + 1;
    long qd = qh * hd, kvd = kvh * hd;
    long floats = 3 * b * h + b * qd + 2 * b * kvd + b * qd + 2 * b * inter + s;
    float *scratch = malloc(floats * sizeof(float));
    if (!scratch) return -2;
    float *x = scratch, *xn = x + b * h, *add = xn + b * h;
    float *q = add + b * h, *k = q + b * qd, *v = k + b * kvd, *heads = v + b * kvd;
    float *gate = heads + b * qd, *up = gate + b * inter, *scores = up + b * inter;
    atomic_int *meeting = (atomic_int *)barrier;
    int round = 0, status = 0;
    for (long r = 0; r < b; r++) memcpy(x + r * h, embedding + ids[r] * h, h * sizeof(float)); /* ids checked */

    for (int l = 0; l < layers && status == 0; l++) {
        const long *w = weights + (long)l * LAYER_FIELDS;
        const long *step = steps + (long)l * STEP_FIELDS;
        long capacity = step[CAPACITY];

        /* attention: x (b, h) → q (b, qh, hd), k, v (b, kvh, hd) → heads (b, qh, hd) */
        rms_norm(x, AT(w, IN_NORM), b, h, eps, xn);
        mmgpt_linear(isa, xn, b, h, AT(w, Q), qd, AT(w, Q_BIAS), NULL, q);
        mmgpt_linear(isa, xn, b, h, AT(w, K), kvd, AT(w, K_BIAS), NULL, k);
        mmgpt_linear(isa, xn, b, h, AT(w, V), kvd, AT(w, V_BIAS), NULL, v);
        if (w[Q_NORM]) { /* Qwen3: RMSNorm over each head */
            rms_norm(q, AT(w, Q_NORM), b * qh, hd, eps, q);
            rms_norm(k, AT(w, K_NORM), b * kvh, hd, eps, k);
        }
        for (long r = 0; r < b; r++) {
            rotate(q + r * qd, qh, hd, cos + r * hd, sin + r * hd);
            rotate(k + r * kvd, kvh, hd, cos + r * hd, sin + r * hd);
            float *keys = (float *)step[KEYS] + r * kvh * capacity * hd;
            float *values = (float *)step[VALUES] + r * kvh * capacity * hd;
            for (long g = 0; g < kvh; g++) { /* the new position into the cache */
                memcpy(keys + (g * capacity + past) * hd, k + r * kvd + g * hd, hd * sizeof(float));
                memcpy(values + (g * capacity + past) * hd, v + r * kvd + g * hd, hd * sizeof(float));
            }
            const float *mask = step[MASK] ? AT(step, MASK) + (mask_rows > 1 ? r * s : 0) : NULL;
            attend(q + r * qd, keys, values, capacity, mask, s, qh, kvh, hd, scores, heads + r * qd);
        }

        /* o_proj, then SwiGLU down(silu(gate(x̂)) · up(x̂)): each adds a projection to x */
        status = add_projection(isa, heads, b, qd, AT(w, O), AT(w, O_BIAS), x, h, add,
                exchange + (long)(round++ % 2) * parties * b * h, shard, parties, meeting);
        if (status != 0) break;
        rms_norm(x, AT(w, POST_NORM), b, h, eps, xn);
        mmgpt_linear(isa, xn, b, h, AT(w, GATE), inter, AT(w, GATE_BIAS), NULL, gate);
        mmgpt_linear(isa, xn, b, h, AT(w, UP), inter, AT(w, UP_BIAS), NULL, up);
        for (long i = 0; i < b * inter; i++) {
            float g = gate[i];
            gate[i] = g * (1.0f / (1.0f + expf(-g))) * up[i];
        }
        status = add_projection(isa, gate, b, inter, AT(w, DOWN), AT(w, DOWN_BIAS), x, h, add,
                exchange + (long)(round++ % 2) * parties * b * h, shard, parties, meeting);
    }
    if (status == 0) {
        const long *head = weights + (long)layers * LAYER_FIELDS; /* final norm, output head */
        rms_norm(x, AT(head, 0), b, h, eps, xn);
        float *rows = b == 1 ? logits : malloc(b * vocab_rows * sizeof(float));
        if (!rows) {
            status = -2;
        } else {
            mmgpt_linear(isa, xn, b, h, AT(head, 1), vocab_rows, NULL, NULL, rows);
            if (rows != logits) { /* into this shard's columns of the (b, ld) logits */
                for (long r = 0; r < b; r++) memcpy(logits + r * logits_ld, rows + r * vocab_rows, vocab_rows * sizeof(float));
                free(rows);
            }
        }
    }
    free(scratch);
    return status;
}
