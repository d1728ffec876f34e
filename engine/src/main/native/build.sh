#!/bin/sh
# Builds the engine's optional native libraries into $1 (see the "native" profile in engine/pom.xml).
# Each is optional: without it the engine runs on libtorch alone, and says so.
set -u
out="$1"
here="$(dirname "$0")"
cc=/usr/bin/cc
mkdir -p "$out"
$cc -shared -fPIC -O2 -Wall -o "$out/libmmgpt_mkl_intel_cpu.so" "$here/mkl_intel_cpu.c" \
    || echo "native: $cc could not build the MKL shim; the engine runs without it"
tmp="$(mktemp -d)"
if $cc -c -fPIC -O3 -Wall -mavx512f -mfma -DLANES=16 -DKERNEL=mmgpt_linear_avx512 -o "$tmp/avx512.o" "$here/packed_linear_kernel.c" \
    && $cc -c -fPIC -O3 -Wall -mavx2 -mfma -DLANES=8 -DKERNEL=mmgpt_linear_avx2 -o "$tmp/avx2.o" "$here/packed_linear_kernel.c" \
    && $cc -c -fPIC -O3 -Wall -mavx2 -mfma -o "$tmp/decode_step.o" "$here/decode_step.c" \
    && $cc -shared -fPIC -O2 -Wall -o "$out/libmmgpt_packed_linear.so" "$here/packed_linear.c" "$tmp/avx512.o" "$tmp/avx2.o" \
        "$tmp/decode_step.o" -lm; then
    :
else
    echo "native: $cc could not build the packed decode products and native decode step; the engine decodes with libtorch's"
fi
rm -rf "$tmp"
