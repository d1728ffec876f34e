#!/usr/bin/env bash
# A local single-node Kafka broker (KRaft, no ZooKeeper, no Docker) from Maven Central jars.
#
#   bash scripts/kafka.sh start|stop|status
#
# start   resolves the broker jars once into .kafka/libs (scripts/kafka/pom.xml, Kafka at the Quarkus
#         BOM's version), formats .kafka/data once, starts the broker on 127.0.0.1:$KAFKA_PORT and
#         waits until the port answers and the log says "Kafka Server started"
# stop    SIGTERM to the recorded PID, up to 30 s to finish, then SIGKILL
# status  says whether it runs, with its PID and address
#
# KAFKA_PORT (default 9092) and KAFKA_CONTROLLER_PORT (default 9093) are fixed when .kafka/data is
# formatted; remove .kafka/data to start afresh (that deletes every topic).
# PID: .run/kafka.pid   log: .run/logs/kafka.log   data: .kafka/data
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
kafka_home="$root/.kafka"
libs="$kafka_home/libs"
data="$kafka_home/data"
config="$kafka_home/server.properties"
pidfile="$root/.run/kafka.pid"
logfile="$root/.run/logs/kafka.log"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"

running_pid() {
  if [[ -f "$pidfile" ]]; then
    local pid
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      echo "$pid"
      return 0
    fi
  fi
  return 1
}

fetch_libs() {
  # Fetched again when the pom changes (a new Kafka version).
  local stamp
  stamp="$(sha256sum "$root/scripts/kafka/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$libs/.stamp" && "$(cat "$libs/.stamp")" == "$stamp" ]]; then
    return
  fi
  echo "resolving the Kafka broker jars into $libs ..." >&2
  rm -rf "$libs"
  local output
  if ! output="$(mvn -B -q -f "$root/scripts/kafka/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs" 2>&1)"; then
    echo "$output" >&2
    echo "error: cannot resolve the Kafka broker jars (scripts/kafka/pom.xml)" >&2
    exit 1
  fi
  echo "$stamp" > "$libs/.stamp"
}

write_config() {
  mkdir -p "$kafka_home"
  cat > "$config" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# The services create their topics with their policies; a topic made by accident would hide a bug.
auto.create.topics.enable=false
PROPERTIES
}

format_once() {
  local ports="$port $controller_port"
  if [[ -f "$data/meta.properties" ]]; then
    if [[ "$(cat "$kafka_home/ports" 2>/dev/null)" != "$ports" ]]; then
      echo "error: $data was formatted for ports $(cat "$kafka_home/ports" 2>/dev/null || echo '?');" \
        "remove it to use $ports (that deletes every topic)" >&2
      exit 1
    fi
    return
  fi
  local cluster_id
  cluster_id="$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid)"
  java -cp "$libs/*" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$config" >/dev/null
  echo "$ports" > "$kafka_home/ports"
}

port_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

start() {
  local pid
  if pid="$(running_pid)"; then
    echo "kafka already running (pid $pid) on 127.0.0.1:$port"
    return
  fi
  if port_answers; then
    echo "error: something else already listens on 127.0.0.1:$port" >&2
    exit 1
  fi
  fetch_libs
  write_config
  format_once
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  : > "$logfile"
  nohup java -Xms256m -Xmx512m -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$config" >> "$logfile" 2>&1 &
  pid=$!
  echo "$pid" > "$pidfile"
  for _ in $(seq 1 120); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      echo "error: kafka exited while starting; see $logfile:" >&2
      tail -n 20 "$logfile" >&2
      exit 1
    fi
    if port_answers && grep -q "Kafka Server started" "$logfile"; then
      echo "kafka started (pid $pid) on 127.0.0.1:$port"
      return
    fi
    sleep 0.5
  done
  echo "error: kafka did not become ready within 60 s; see $logfile (pid $pid left running)" >&2
  exit 1
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$pidfile"
    echo "kafka is not running"
    return
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      echo "kafka stopped (pid $pid)"
      return
    fi
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "kafka killed (pid $pid) after 30 s without stopping"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    echo "kafka running (pid $pid) on 127.0.0.1:$port"
  else
    echo "kafka is not running"
    return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: bash scripts/kafka.sh start|stop|status" >&2; exit 2 ;;
esac
