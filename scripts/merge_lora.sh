#!/usr/bin/env bash
# Fold a LoRA adapter into its base (the seed's merge_peft_adapter.py) and verify the result.
#   bash scripts/merge_lora.sh BASE ADAPTER OUTPUT
# Defaults: the tiny model and the pretraining adapter -> merged-pt-tiny.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE="${1:-models/tiny}"
ADAPTER="${2:-outputs-pt-tiny}"
OUTPUT="${3:-merged-pt-tiny}"
./mmgpt merge --base-model "$BASE" --lora-model "$ADAPTER" --output-dir "$OUTPUT"
