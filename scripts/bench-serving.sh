#!/usr/bin/env bash
# The serving benchmark (not a test): the tiny model behind one packaged gateway and one packaged
# inference worker over an in-process broker, against the engine called directly; prints tokens/s for
# 1, 4 and 8 concurrent streams, time to first token, and the latency the gateway + Kafka hop adds to
# a short unstreamed answer. Builds what it needs first. Logs: serving-e2e/target/bench-logs/.
#
#   bash scripts/bench-serving.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/fetch-tokenizer.sh >&2
# Always packaged (incremental, quick when nothing changed): a benchmark of stale jars measures old code.
echo "packaging the gateway and the inference worker (mvn package -DskipTests) ..." >&2
mvn -B -q -ntp -pl gateway,inference-worker -am package -DskipTests >&2
# -am: the sibling modules from this checkout, never whatever another checkout installed in ~/.m2
mvn -B -q -ntp -pl serving-e2e -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath >&2
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
exec java -Xmx4g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
  -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -cp "serving-e2e/target/test-classes:$(cat serving-e2e/target/bench.classpath)" org.mmgpt.e2e.serving.ServingBenchmark
