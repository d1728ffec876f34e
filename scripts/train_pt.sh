#!/usr/bin/env bash
# Stage 1, continued pretraining (the seed's run_pt.sh) on the project's demo corpus data/pretrain,
# its recommended settings scaled to the tiny model. Creates models/tiny first if it is missing.
# Any option after the script's name overrides the defaults: bash scripts/train_pt.sh --max-steps 5
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL="${MODEL:-models/tiny}"
[[ -f "$MODEL/config.json" ]] || ./mmgpt init-model --preset tiny --output "$MODEL"
./mmgpt train pt \
  --model-name-or-path "$MODEL" \
  --train-file-dir data/pretrain \
  --per-device-train-batch-size 4 \
  --per-device-eval-batch-size 4 \
  --do-train --do-eval \
  --use-peft true \
  --seed 42 \
  --max-eval-samples 10 \
  --num-train-epochs 1 \
  --learning-rate 2e-4 \
  --warmup-steps 5 \
  --weight-decay 0.01 \
  --logging-steps 10 \
  --eval-steps 50 \
  --save-steps 50 \
  --save-total-limit 3 \
  --gradient-accumulation-steps 1 \
  --block-size 128 \
  --output-dir outputs-pt-tiny \
  --target-modules all \
  --lora-rank 8 \
  --lora-alpha 16 \
  --lora-dropout 0.05 \
  --gradient-checkpointing true \
  "$@"
