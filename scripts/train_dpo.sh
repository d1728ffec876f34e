#!/usr/bin/env bash
# Stage 3, direct preference optimisation (the seed's run_dpo.sh) on data/reward, scaled to the tiny
# model. By default it starts from the model merged after SFT (merged-sft-tiny) when that exists.
# Options after the script's name override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${MODEL:-}" ]]; then
  MODEL=models/tiny
  [[ -f merged-sft-tiny/config.json ]] && MODEL=merged-sft-tiny
fi
[[ -f "$MODEL/config.json" ]] || ./mmgpt init-model --preset tiny --output "$MODEL"
./mmgpt train dpo \
  --model-name-or-path "$MODEL" \
  --train-file-dir data/reward \
  --per-device-train-batch-size 2 \
  --gradient-accumulation-steps 2 \
  --per-device-eval-batch-size 1 \
  --do-train --do-eval \
  --use-peft true \
  --max-eval-samples 10 \
  --max-steps 20 \
  --eval-steps 10 \
  --save-steps 10 \
  --max-source-length 256 \
  --max-target-length 128 \
  --learning-rate 5e-4 \
  --lr-scheduler-type cosine \
  --warmup-steps 2 \
  --output-dir outputs-dpo-tiny \
  --target-modules all \
  --lora-rank 8 \
  --lora-alpha 16 \
  --lora-dropout 0.05 \
  --gradient-checkpointing true \
  "$@"
