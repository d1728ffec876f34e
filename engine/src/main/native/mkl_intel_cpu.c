/*
 * Tells the MKL inside DJL's libtorch that the CPU is an Intel one, so that it dispatches on the
 * CPU's features (AVX2, AVX-512) instead of taking its generic kernels on every other vendor's CPU.
 *
 * Why: on an AMD EPYC (Zen 4, AVX-512) MKL ran its generic sgemm, packing every weight matrix on
 * every call, and its generic matrix-vector product; with this library loaded first it runs its
 * AVX-512 kernels (sgemm 1024^2 on 2 cores: 115-177 -> 187-194 GFLOP/s; one token's 1408x512 linear at
 * batch 8, in cache: 266 -> 149 us). libtorch calls these two MKL service functions through its PLT, so a
 * library loaded with RTLD_GLOBAL before libtorch answers in their place (org.mmgpt.engine.Djl).
 * MKL still checks each instruction set it uses; on an Intel CPU this changes nothing.
 */
int mkl_serv_intel_cpu_true(void) { return 1; }

int mkl_serv_intel_cpu(void) { return 1; }
