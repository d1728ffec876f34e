#!/usr/bin/env bash
# The seed's run_pipeline.sh, on the services: PT -> merge -> SFT -> merge -> DPO -> merge on the demo
# data in data/, as one `pipeline` job submitted to the gateway, with live progress in the terminal;
# then one question to the final merged model.
#
#   bash scripts/run_pipeline.sh
#
# On a fresh machine it does everything: fetches the tokenizer, builds the services, starts Kafka and
# the four services (scripts/services.sh), creates the tiny model in storage, copies data/ there, runs
# the pipeline, asks the question, and stops what it started (also on Ctrl-C). Services that already
# ran are used and left running.
#
# Environment:
#   MAX_STEPS      optimizer steps per training stage (default 10)
#   QUESTION       what to ask the final model (default: a question about a child's fever)
#   MODEL          the first base model, relative to the storage root (default models/tiny, created
#                  with ./mmgpt init-model --preset tiny when missing)
#   MMGPT_STORAGE, MMGPT_PORT, KAFKA_BOOTSTRAP_SERVERS ... as for scripts/services.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export MMGPT_STORAGE="${MMGPT_STORAGE:-$root/storage}"
mkdir -p "$MMGPT_STORAGE"
MMGPT_STORAGE="$(cd "$MMGPT_STORAGE" && pwd)"
api="http://127.0.0.1:${MMGPT_PORT:-8080}"
max_steps="${MAX_STEPS:-10}"
question="${QUESTION:-小孩发烧38.5度，应该怎么办？}"
model="${MODEL:-models/tiny}"
began=$SECONDS
export LC_NUMERIC=C

for tool in java mvn curl npm; do
  command -v "$tool" >/dev/null || { echo "error: $tool is needed (see README: Quick start)" >&2; exit 1; }
done
[[ "$max_steps" =~ ^[1-9][0-9]*$ ]] || { echo "error: MAX_STEPS must be a positive integer, got '$max_steps'" >&2; exit 2; }

say() {
  if [[ -t 1 ]]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi
}

json_field() { # json_field JSON NAME -> the value of the first "NAME": number or string
  if [[ "$1" =~ \"$2\":\"(([^\"\\]|\\.)*)\" ]] || [[ "$1" =~ \"$2\":(-?[0-9.eE+-]+) ]]; then
    printf '%s' "${BASH_REMATCH[1]}"
  fi
}

pipeline_state() {
  local status
  status="$(curl -sf "$api/v1/jobs/$id")" || { echo UNREACHABLE; return; }
  json_field "$status" state
}

# ---- start what is not running, and stop it again on the way out --------------------------------
started=()
for svc in kafka gateway trainer-worker merger inference-worker; do
  bash scripts/services.sh status "$svc" >/dev/null 2>&1 || started+=("$svc")
done
id=""
follower=""
cleanup() {
  local code=$? i
  trap - EXIT INT TERM
  set +e # best effort from here on
  IFS=$' \t\n' # a trap can fire inside "IFS= read"
  [[ -n "$follower" ]] && kill "$follower" 2>/dev/null
  # An interrupted pipeline is cancelled, or its queued stages would run at the next start.
  if [[ -n "$id" && "$(pipeline_state)" =~ ^(QUEUED|RUNNING|RETRYING)$ ]]; then
    say "cancelling pipeline $id"
    curl -sf -o /dev/null -X POST "$api/v1/jobs/$id/cancel" || true
    for _ in $(seq 1 20); do
      [[ "$(pipeline_state)" =~ ^(QUEUED|RUNNING|RETRYING)$ ]] || break
      sleep 1
    done
    echo "pipeline $id: $(pipeline_state)"
  fi
  if [[ ${#started[@]} -gt 0 ]]; then
    say "stopping what this script started: ${started[*]}"
    if [[ ${#started[@]} -eq 5 ]]; then
      bash scripts/services.sh stop # all of them, the workers at once
    else
      for (( i=${#started[@]}-1; i>=0; i-- )); do
        bash scripts/services.sh stop "${started[i]}"
      done
    fi
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'echo; echo "interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

say "set-up: tokenizer, build, Kafka and the services"
bash scripts/fetch-tokenizer.sh
bash scripts/services.sh start

say "storage: $MMGPT_STORAGE"
if [[ ! -f "$MMGPT_STORAGE/$model/config.json" ]]; then
  if [[ "$model" != models/tiny ]]; then
    echo "error: no model at $MMGPT_STORAGE/$model (MODEL is relative to the storage root)" >&2
    exit 1
  fi
  ./mmgpt init-model --preset tiny --output "$MMGPT_STORAGE/models/tiny"
fi
mkdir -p "$MMGPT_STORAGE/data"
cp -R data/pretrain data/finetune data/reward "$MMGPT_STORAGE/data/"
echo "base model $model; data/pretrain, data/finetune, data/reward copied"

# ---- submit ---------------------------------------------------------------------------------------
say "pipeline: PT -> merge -> SFT -> merge -> DPO -> merge, $max_steps steps per training stage"
body=$(cat <<JSON
{"type": "pipeline", "params": {
  "model_name_or_path": "$model",
  "max_steps": $max_steps, "per_device_train_batch_size": 2, "per_device_eval_batch_size": 2,
  "gradient_accumulation_steps": 1, "warmup_steps": 1, "logging_steps": 1, "max_eval_samples": 4,
  "seed": 42, "lora_rank": 8, "lora_alpha": 16, "target_modules": "all",
  "pt":  {"train_file_dir": "data/pretrain", "block_size": 128, "learning_rate": 0.001},
  "sft": {"train_file_dir": "data/finetune", "model_max_length": 256, "learning_rate": 0.001},
  "dpo": {"train_file_dir": "data/reward", "max_source_length": 128, "max_target_length": 64,
          "learning_rate": 0.0005, "beta": 0.1}}}
JSON
)
reply="$(mktemp)"
code=$(curl -sS -o "$reply" -w '%{http_code}' -H 'Content-Type: application/json' -d "$body" "$api/v1/jobs")
job="$(cat "$reply")"
rm -f "$reply"
if [[ "$code" != 201 ]]; then
  echo "error: the gateway refused the pipeline ($code): $job" >&2
  exit 1
fi
[[ "$job" =~ \"id\":\"([^\"]+)\" ]] && id="${BASH_REMATCH[1]}"
[[ "$job" =~ \"children\":\[([^]]*)\] ]] && IFS=',' read -r -a children <<<"${BASH_REMATCH[1]//\"/}"
submitted=$SECONDS
echo "job $id; stages: ${children[*]}"
echo "follow it elsewhere: curl -N $api/v1/jobs/$id/events"

# ---- follow ---------------------------------------------------------------------------------------
# One stage's server-sent events until it ends: "[2/6 sft] RUNNING step 4/10 loss 9.8761 ...".
follow_stage() {
  local child="$1" label="$2" line event state step total loss eta tps shown="" events
  exec {events}< <(curl -sN "$api/v1/jobs/$child/events")
  follower=$! # curl: stopped by cleanup on an interrupt (a background command ignores SIGINT)
  while IFS= read -r line <&"$events"; do
    [[ "$line" == data:* ]] || continue
    event="${line#data:}"
    state="$(json_field "$event" state)"
    step="$(json_field "$event" step)"
    total="$(json_field "$event" total_steps)"
    loss="$(json_field "$event" loss)"
    eta="$(json_field "$event" eta_seconds)"
    tps="$(json_field "$event" tokens_per_second)"
    local text="$label $state"
    [[ -n "$step" && -n "$total" ]] && text+="  step $step/$total"
    [[ -n "$loss" ]] && text+="$(printf '  loss %.4f' "$loss")"
    [[ -n "$tps" ]] && text+="$(printf '  %.0f tokens/s' "$tps")"
    [[ -n "$eta" && "$state" == RUNNING ]] && text+="  ETA ${eta}s"
    if [[ -t 1 ]]; then
      printf '\r\033[K%s' "$text"
    elif [[ "$text" != "$shown" ]]; then
      echo "$text"
    fi
    shown="$text"
  done
  exec {events}<&-
  follower=""
  [[ -t 1 && -n "$shown" ]] && echo
  return 0
}

unreachable=0
for i in "${!children[@]}"; do
  child="${children[i]}"
  label="[$((i + 1))/${#children[@]} ${child##*-}]"
  # The gateway submits a stage when the one before it has ended.
  until curl -sf -o /dev/null "$api/v1/jobs/$child"; do
    state="$(pipeline_state)"
    case "$state" in
      SUCCEEDED|FAILED|CANCELLED) break 2 ;;
      UNREACHABLE)
        unreachable=$((unreachable + 1))
        if (( unreachable > 60 )); then
          echo "error: the gateway at $api stopped answering" >&2
          exit 1
        fi ;;
      *) unreachable=0 ;;
    esac
    sleep 1
  done
  follow_stage "$child" "$label"
done

for _ in $(seq 1 30); do
  state="$(pipeline_state)"
  [[ "$state" =~ ^(SUCCEEDED|FAILED|CANCELLED)$ ]] && break
  sleep 1
done
final_status="$(curl -sf "$api/v1/jobs/$id" || true)"
if [[ "$state" != SUCCEEDED ]]; then
  error="$(json_field "$final_status" error)"
  printf 'error: pipeline %s ended %s: %b\n' "$id" "$state" "$error" >&2
  exit 1
fi
[[ "$final_status" =~ \"artifacts\":\[\"([^\"]+)\" ]] && final="${BASH_REMATCH[1]}"
say "pipeline $id SUCCEEDED in $((SECONDS - submitted)) s ($((SECONDS - began)) s with the set-up); final model: $MMGPT_STORAGE/$final"

# ---- one question ---------------------------------------------------------------------------------
# Through the gateway's OpenAI-compatible API when it offers one; otherwise with the engine's CLI.
ask_gateway() {
  curl -sf -o /dev/null "$api/v1/models" || return 1
  local q="${question//\\/\\\\}" answer
  q="${q//\"/\\\"}"
  answer="$(curl -sf -H 'Content-Type: application/json' "$api/v1/chat/completions" -d \
    "{\"model\": \"$final\", \"messages\": [{\"role\": \"user\", \"content\": \"$q\"}], \"max_tokens\": 64}")" || return 1
  [[ "$answer" =~ \"content\":\"(([^\"\\]|\\.)*)\" ]] || return 1
  printf 'Answer (POST %s/v1/chat/completions):\n%b\n' "$api" "${BASH_REMATCH[1]}"
}

say "asking the final model"
echo "Question: $question"
if ! ask_gateway; then
  echo "Answer (./mmgpt generate --chat):"
  ./mmgpt generate --model "$MMGPT_STORAGE/$final" --chat --prompt "$question" --max-new-tokens 64 \
    --temperature 0.7 --top-p 0.9 --repetition-penalty 1.2 --seed 42
  echo
fi
echo "(A tiny model trained for a few steps on the demo data answers without sense: the run shows the"
echo " path from data to a served model. Use a real base model and more steps for real answers.)"
