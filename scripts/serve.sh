#!/usr/bin/env bash
# Serve one model directory over the OpenAI-compatible API, locally (the seed's vllm_deployment.sh):
# Kafka, the gateway and N inference workers, from the built jars.
#
#   bash scripts/serve.sh --model DIR [--port 8000] [--workers 1]
#
# The model's parent directory is the storage root and the model's directory name its id (what
# requests put in "model"; /chat uses it by default); workers answer health on ports PORT+1..PORT+N.
# Prints the base URL once the gateway and every worker are ready; Ctrl-C or SIGTERM stops everything
# this script started (a broker already listening on KAFKA_PORT, default 9092, is used and left alone).
#
# API keys: MMGPT_API_KEYS=key1,key2 turns them on; without it the gateway runs in the local profile,
# which serves without keys. Logs: .run/logs/serve-*.log. MMGPT_THREADS sets each worker's threads.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
model=""
port=8000
workers=1
usage() {
  echo "usage: bash scripts/serve.sh --model DIR [--port 8000] [--workers N]" >&2
  exit 2
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model="${2:-}"; shift 2 ;;
    --port) port="${2:-}"; shift 2 ;;
    --workers) workers="${2:-}"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
[[ -n "$model" ]] || usage
[[ "$workers" =~ ^[1-9][0-9]*$ ]] || { echo "--workers must be a positive number, got '$workers'" >&2; exit 2; }
[[ "$port" =~ ^[0-9]+$ ]] || { echo "--port must be a number, got '$port'" >&2; exit 2; }
if [[ ! -f "$model/config.json" ]]; then
  echo "error: $model is not a model directory (no config.json)" >&2
  exit 1
fi
model="$(cd "$model" && pwd -P)"
storage="$(dirname "$model")"
id="$(basename "$model")"

gateway_jar="$root/gateway/target/quarkus-app/quarkus-run.jar"
worker_jar="$root/inference-worker/target/quarkus-app/quarkus-run.jar"
if [[ ! -f "$gateway_jar" || ! -f "$worker_jar" ]]; then
  echo "building the gateway and the inference worker (mvn package), once ..." >&2
  (cd "$root" && mvn -B -q -ntp -pl gateway,inference-worker -am package -DskipTests >&2)
fi

logs="$root/.run/logs"
mkdir -p "$logs"
pids=()
names=() # the log of each pid, by index
started_kafka=false
stopped=false
stop_all() {
  $stopped && return
  stopped=true
  echo "stopping ..." >&2
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if $started_kafka; then
    bash "$root/scripts/kafka.sh" stop >&2
  fi
}
trap stop_all EXIT
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM

# A broker already listening (scripts/kafka.sh's or another) is used as it is.
kafka="127.0.0.1:${KAFKA_PORT:-9092}"
if ! (exec 3<>"/dev/tcp/127.0.0.1/${KAFKA_PORT:-9092}") 2>/dev/null; then
  bash "$root/scripts/kafka.sh" start >&2
  started_kafka=true
fi

# DJL stays offline; libgomp's idle threads sleep (they starve the compute threads on small machines).
java_opts=(-Dai.djl.offline=true -Dai.djl.pytorch.num_threads="${MMGPT_THREADS:-1}" -Dai.djl.pytorch.num_interop_threads=1)
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
profile=()
if [[ -z "${MMGPT_API_KEYS:-}" ]]; then
  profile=(-Dquarkus.profile=local)
  echo "no MMGPT_API_KEYS: serving without API keys (local profile)" >&2
fi

for i in $(seq 1 "$workers"); do
  java "${java_opts[@]}" -Dkafka.bootstrap.servers="$kafka" -Dmmgpt.storage.root="$storage" \
    -Dquarkus.http.port=$((port + i)) -Dmmgpt.inference.preload="$id" -Dmmgpt.worker.id="serve-worker-$i" \
    -jar "$worker_jar" > "$logs/serve-worker-$i.log" 2>&1 &
  pids+=($!)
  names+=("serve-worker-$i")
done
java "${profile[@]}" -Dkafka.bootstrap.servers="$kafka" -Dmmgpt.storage.root="$storage" \
  -Dquarkus.http.port="$port" -Dmmgpt.serving.default-model="$id" \
  -jar "$gateway_jar" > "$logs/serve-gateway.log" 2>&1 &
pids+=($!)
names+=("serve-gateway")

ready() {
  curl -fs -o /dev/null "http://127.0.0.1:$1/q/health/ready"
}
for _ in $(seq 1 240); do
  all=true
  for p in "$port" $(seq $((port + 1)) $((port + workers))); do
    ready "$p" || all=false
  done
  $all && break
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      status=0
      wait "${pids[$i]}" || status=$?
      echo "error: ${names[$i]} exited while starting (status $status); the end of $logs/${names[$i]}.log:" >&2
      tail -n 20 "$logs/${names[$i]}.log" >&2 || true
      exit 1
    fi
  done
  sleep 0.5
done
if ! $all; then
  echo "error: not ready within 120 s; see $logs/serve-*.log" >&2
  exit 1
fi

echo "serving model '$id' ($model) with $workers worker(s)"
echo "base URL: http://127.0.0.1:$port/v1   (model id: $id; also POST /chat)"
echo "Ctrl-C stops it"
wait -n "${pids[@]}" || true
echo "error: a service stopped; see $logs/serve-*.log" >&2
exit 1
