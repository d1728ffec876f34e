#!/usr/bin/env bash
# Stage 2, supervised fine-tuning (the seed's run_sft.sh) on data/finetune, scaled to the tiny model.
# By default it fine-tunes the model merged after pretraining (merged-pt-tiny) when that exists,
# else models/tiny. Options after the script's name override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${MODEL:-}" ]]; then
  MODEL=models/tiny
  [[ -f merged-pt-tiny/config.json ]] && MODEL=merged-pt-tiny
fi
[[ -f "$MODEL/config.json" ]] || ./mmgpt init-model --preset tiny --output "$MODEL"
./mmgpt train sft \
  --model-name-or-path "$MODEL" \
  --train-file-dir data/finetune \
  --per-device-train-batch-size 4 \
  --per-device-eval-batch-size 4 \
  --do-train --do-eval \
  --use-peft true \
  --model-max-length 256 \
  --num-train-epochs 1 \
  --learning-rate 2e-4 \
  --warmup-steps 5 \
  --weight-decay 0.05 \
  --logging-steps 10 \
  --eval-steps 50 \
  --save-steps 50 \
  --save-total-limit 3 \
  --gradient-accumulation-steps 1 \
  --output-dir outputs-sft-tiny \
  --target-modules all \
  --lora-rank 8 \
  --lora-alpha 16 \
  --lora-dropout 0.05 \
  --gradient-checkpointing true \
  "$@"
