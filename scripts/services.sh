#!/usr/bin/env bash
# The local system: a Kafka broker and the four services, each a background process.
#
#   bash scripts/services.sh start|stop|status|restart [SERVICE]
#
# SERVICE is one of: kafka gateway trainer-worker merger inference-worker (default: all of them).
#
# start    starts Kafka (scripts/kafka.sh), then the services from their packaged Quarkus fast-jars
#          (<module>/target/quarkus-app/quarkus-run.jar; built first when missing or older than their
#          sources), and waits until each answers ready on /q/health/ready
# stop     SIGTERM to each recorded PID, up to MMGPT_STOP_TIMEOUT seconds (60) to finish, then SIGKILL;
#          the services first, Kafka last
# status   each one's PID, port and readiness; exit status 3 when one of them is not running
# restart  stop, then start
#
# Environment:
#   MMGPT_STORAGE            the shared storage root (default ./storage)
#   MMGPT_PORT               the gateway's HTTP port (8080); MMGPT_TRAINER_PORT (8081),
#                            MMGPT_MERGER_PORT (8082), MMGPT_INFERENCE_PORT (8083) for the workers
#   KAFKA_PORT               the local broker's port (9092; see scripts/kafka.sh)
#   KAFKA_BOOTSTRAP_SERVERS  use this broker instead: no local Kafka is started or stopped
#   MMGPT_THREADS            PyTorch threads of each worker (default: all cores)
#   MMGPT_JAVA_OPTS          more JVM options for every service (e.g. -Xmx4g)
#
# Every JVM runs with -Dai.djl.offline=true and OMP_WAIT_POLICY=PASSIVE.
# PIDs: .run/<service>.pid   logs: .run/logs/<service>.log
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
run_dir="$root/.run"
log_dir="$run_dir/logs"
services=(gateway trainer-worker merger inference-worker)
stop_timeout="${MMGPT_STOP_TIMEOUT:-60}"
ready_timeout="${MMGPT_READY_TIMEOUT:-180}"

storage="${MMGPT_STORAGE:-$root/storage}"
mkdir -p "$storage"
storage="$(cd "$storage" && pwd)"
if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
  bootstrap="$KAFKA_BOOTSTRAP_SERVERS"
  local_kafka=false
else
  bootstrap="127.0.0.1:${KAFKA_PORT:-9092}"
  local_kafka=true
fi

usage() {
  echo "usage: bash scripts/services.sh start|stop|status|restart [kafka|gateway|trainer-worker|merger|inference-worker]" >&2
  exit 2
}

port_of() {
  case "$1" in
    gateway) echo "${MMGPT_PORT:-8080}" ;;
    trainer-worker) echo "${MMGPT_TRAINER_PORT:-8081}" ;;
    merger) echo "${MMGPT_MERGER_PORT:-8082}" ;;
    inference-worker) echo "${MMGPT_INFERENCE_PORT:-8083}" ;;
  esac
}

jar_of() {
  echo "$root/$1/target/quarkus-app/quarkus-run.jar"
}

# The PID in .run/<service>.pid if that process still runs this service's jar.
running_pid() {
  local pidfile="$run_dir/$1.pid" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null && ps -p "$pid" -o args= 2>/dev/null | grep -q -- "$1/target/quarkus-app/quarkus-run.jar"; then
    echo "$pid"
    return 0
  fi
  return 1
}

port_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

is_ready() {
  curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$(port_of "$1")/q/health/ready"
}

# Sources a service's jar is built from (engine for all: the workers embed it, and issue 5 brings it
# to the inference worker).
stale_or_missing() {
  local jar
  jar="$(jar_of "$1")"
  [[ ! -f "$jar" ]] && return 0
  [[ -n "$(find "$root/$1/src/main" "$root/$1/pom.xml" "$root/pom.xml" "$root/protocol/src/main" \
      "$root/worker-common/src/main" "$root/engine/src/main" -newer "$jar" -print -quit 2>/dev/null)" ]]
}

build_if_needed() {
  local svc todo=()
  for svc in "$@"; do
    stale_or_missing "$svc" && todo+=("$svc")
  done
  [[ ${#todo[@]} -eq 0 ]] && return
  local modules
  modules="$(IFS=,; echo "${todo[*]}")"
  echo "services: building ${todo[*]} (mvn -pl $modules -am package -DskipTests) ..." >&2
  if ! (cd "$root" && mvn -B -q -ntp -pl "$modules" -am package -DskipTests >"$log_dir/build.log" 2>&1); then
    tail -n 40 "$log_dir/build.log" >&2
    echo "error: the build failed; the whole log is in $log_dir/build.log" >&2
    exit 1
  fi
  for svc in "${todo[@]}"; do
    touch "$(jar_of "$svc")"
  done
}

launch() {
  local svc="$1" pid port
  if pid="$(running_pid "$svc")"; then
    echo "$svc already running (pid $pid) on port $(port_of "$svc")"
    return
  fi
  port="$(port_of "$svc")"
  if port_answers "$port"; then
    echo "error: something else already listens on 127.0.0.1:$port ($svc's port)" >&2
    exit 1
  fi
  # the previous run's log is kept one start longer, for reading what happened to it
  [[ -s "$log_dir/$svc.log" ]] && mv "$log_dir/$svc.log" "$log_dir/$svc.log.1"
  # A simple command in the background, so that $! is the JVM's own PID.
  # shellcheck disable=SC2086 # MMGPT_JAVA_OPTS is a list of options
  OMP_WAIT_POLICY=PASSIVE nohup java -Dai.djl.offline=true \
    -Dkafka.bootstrap.servers="$bootstrap" -Dmmgpt.storage.root="$storage" -Dquarkus.http.port="$port" \
    ${MMGPT_JAVA_OPTS:-} -jar "$(jar_of "$svc")" >>"$log_dir/$svc.log" 2>&1 </dev/null &
  echo $! > "$run_dir/$svc.pid"
}

await_ready() {
  local svc="$1" pid waited=0
  pid="$(cat "$run_dir/$svc.pid")"
  until is_ready "$svc"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$run_dir/$svc.pid"
      echo "error: $svc exited while starting; the end of $log_dir/$svc.log:" >&2
      tail -n 30 "$log_dir/$svc.log" >&2
      exit 1
    fi
    if (( waited >= ready_timeout * 2 )); then
      echo "error: $svc (pid $pid) not ready after $ready_timeout s; see $log_dir/$svc.log (left running)" >&2
      exit 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  echo "$svc ready (pid $pid) on http://127.0.0.1:$(port_of "$svc")"
}

start() {
  mkdir -p "$run_dir" "$log_dir"
  command -v curl >/dev/null || { echo "error: curl is needed (health checks)" >&2; exit 1; }
  local svc started=()
  if [[ "$local_kafka" == true && ( $# -eq 0 || "$1" == kafka ) ]]; then
    bash "$root/scripts/kafka.sh" start
  fi
  [[ $# -eq 1 && "$1" == kafka ]] && return
  local targets=("$@")
  [[ ${#targets[@]} -eq 0 ]] && targets=("${services[@]}")
  for svc in "${targets[@]}"; do
    running_pid "$svc" >/dev/null || started+=("$svc")
  done
  # only the jars of services about to start: a running JVM's jars are never replaced under it
  [[ ${#started[@]} -gt 0 ]] && build_if_needed "${started[@]}"
  echo "services: storage $storage, Kafka $bootstrap"
  for svc in "${targets[@]}"; do
    launch "$svc"
  done
  for svc in "${started[@]}"; do
    await_ready "$svc"
  done
}

stop_one() {
  local svc="$1" pid
  if ! pid="$(running_pid "$svc")"; then
    rm -f "$run_dir/$svc.pid"
    echo "$svc is not running"
    return
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if (( waited >= stop_timeout * 2 )); then
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$run_dir/$svc.pid"
      echo "$svc killed (pid $pid) after $stop_timeout s without stopping"
      return
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  rm -f "$run_dir/$svc.pid"
  echo "$svc stopped (pid $pid)"
}

stop() {
  local targets=("$@") i pids=()
  if [[ $# -eq 0 ]]; then
    # all at once (each waits for its own), the gateway last so it sees the workers' last events
    targets=(trainer-worker merger inference-worker)
    for i in "${targets[@]}"; do
      stop_one "$i" &
      pids+=($!)
    done
    wait "${pids[@]}"
    stop_one gateway
    [[ "$local_kafka" == true ]] && bash "$root/scripts/kafka.sh" stop
    return 0
  fi
  if [[ "$1" == kafka ]]; then
    [[ "$local_kafka" == true ]] && bash "$root/scripts/kafka.sh" stop
    return 0
  fi
  stop_one "$1"
}

status() {
  local svc pid code=0 targets=("$@")
  if [[ $# -eq 0 || "$1" == kafka ]]; then
    if [[ "$local_kafka" == true ]]; then
      bash "$root/scripts/kafka.sh" status || code=3
    else
      echo "kafka: external, $bootstrap"
    fi
  fi
  [[ $# -eq 1 && "$1" == kafka ]] && return $code
  [[ $# -eq 0 ]] && targets=("${services[@]}")
  for svc in "${targets[@]}"; do
    if pid="$(running_pid "$svc")"; then
      if is_ready "$svc"; then
        echo "$svc running (pid $pid) on http://127.0.0.1:$(port_of "$svc"), ready"
      else
        echo "$svc running (pid $pid) on http://127.0.0.1:$(port_of "$svc"), not ready"
      fi
    else
      echo "$svc is not running"
      code=3
    fi
  done
  return $code
}

command="${1:-}"
shift || true
if [[ $# -gt 1 ]]; then
  usage
fi
if [[ $# -eq 1 ]]; then
  case "$1" in
    kafka|gateway|trainer-worker|merger|inference-worker) ;;
    *) echo "error: unknown service '$1'" >&2; usage ;;
  esac
fi
case "$command" in
  start) start "$@" ;;
  stop) stop "$@" ;;
  status) status "$@" ;;
  restart) stop "$@"; start "$@" ;;
  *) usage ;;
esac
