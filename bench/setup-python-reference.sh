#!/usr/bin/env bash
# Installs the PyTorch eager reference that the benchmarks compare against, and proves that it
# calls OpenBLAS. Idempotent: packages already installed are not touched.
#
#   sudo bash bench/setup-python-reference.sh           install what is missing, then check
#   bash bench/setup-python-reference.sh --check        check only (no root needed)
#
# What works here (Debian 12 bookworm, checked 2026-11-27):
# - Packages: python3-torch (1.13.1+dfsg, CPU only) and libopenblas0-pthread, installed with
#   --no-install-recommends (the recommends are a C++ tool chain for building extensions).
#   python3-torch alone pulls in only the reference BLAS (libblas3): sgemm 1024^2 then runs at
#   ~5.5 GFLOP/s instead of ~180 on 2 cores, 30x slower, and nothing says so.
# - torch.__config__.show() cannot tell: Debian builds with BLAS_INFO=generic and links
#   libblas.so.3, which update-alternatives points at whichever BLAS is installed. So the check
#   reads /proc/self/maps for the library really loaded and times an sgemm.
# - Interpreter: /usr/bin/python3 (Debian's 3.11.2). A pyenv or venv `python3` earlier on PATH
#   (here /root/.pyenv/shims/python3, 3.11.7) does not see /usr/lib/python3/dist-packages and fails
#   with "No module named 'torch'". Every command therefore names /usr/bin/python3.
# - Threads: torch.set_num_threads does not reach OpenBLAS in this build, and libgomp's default
#   spinning starves OpenBLAS's own threads; torch_reference.py handles both (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
PACKAGES=(python3-torch libopenblas0-pthread)
MIN_SGEMM_GFLOPS="${MIN_SGEMM_GFLOPS:-20}"   # reference BLAS: ~5.5; OpenBLAS on 2 cores: 100-200

die() { echo "setup-python-reference: $*" >&2; exit 1; }

if [[ "${1:-}" != "--check" ]]; then
    missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        if [[ $(id -u) -eq 0 ]]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
            die "missing ${missing[*]}; run as root: apt-get install --no-install-recommends ${missing[*]}"
        fi
        echo "installing ${missing[*]}" >&2
        "${SUDO[@]}" apt-get update -qq
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        echo "already installed: ${PACKAGES[*]}" >&2
    fi
fi

[[ -x $PY ]] || die "$PY not found (Debian's python3 package)"
$PY -c 'import torch' 2>/dev/null || die "$PY cannot import torch: is python3-torch installed?"

blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
[[ $blas == *openblas* ]] || die "libblas.so.3 points at ${blas:-nothing}, not OpenBLAS. Fix:
  update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3"

info=$($PY bench/torch_reference.py blas-info) || die "blas-info failed"
$PY -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["openblas"] else 1)' "$info" \
    || die "torch's sgemm_ comes from $($PY -c 'import json,sys; print(json.loads(sys.argv[1])["blas"])' "$info"), not OpenBLAS (check LD_LIBRARY_PATH and update-alternatives)"

sgemm=$($PY bench/torch_reference.py sgemm --n 1024) || die "sgemm failed"
$PY - "$info" "$sgemm" "$MIN_SGEMM_GFLOPS" <<'EOF' || die "sgemm too slow for OpenBLAS: something else answers the BLAS calls"
import json, sys
info, sg, floor = json.loads(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])
print(f"python {info['python']}, torch {info['torch_version']}, {info['blas']} "
      f"({info['openblas_config']}), {info['threads']} threads", file=sys.stderr)
print(f"sgemm 1024^2: {sg['gflops']:.1f} GFLOP/s median, {sg['gflops_best']:.1f} best "
      f"(floor {floor:g})", file=sys.stderr)
sys.exit(0 if max(sg["gflops"], sg["gflops_best"]) >= floor else 1)
EOF
echo "ok: $PY bench/torch_reference.py is ready" >&2
