#!/usr/bin/env bash
# Prepares the Hugging Face interop check (run on a machine with Python, transformers and peft):
# model directories this project writes, each with the logits the engine computed for a probe
# (project_logits.json), in .device/interop/. Then, where transformers is:
#   python3 .device/interop/hf_interop.py DIR [ADAPTER] [MERGED]   for each line of .device/interop/RUN
# Covered: Llama with llama3 rope scaling stored in bfloat16 (transformers-4-style config), Qwen3
# (q/k norms, its own head_dim), Mistral with a sliding window shorter than the probe, a sharded
# Qwen2 checkpoint, the tiny Qwen2 golden model, and a LoRA adapter trained by `mmgpt train` with
# the model `mmgpt merge` made of it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.device/interop
rm -rf "$out" && mkdir -p "$out"
cp ../shared/tools/hf_interop.py "$out/"
ids=5,17,200,3,99,42,7,130,64,12,250,33,1,88,19,7
logits() { ./mmgpt logits --model "$1" ${2:+--adapter "$2"} --ids "$ids" --output "${2:-$1}/project_logits.json"; }
ids_short=9707,11,1879,0  # 151k-wide rows are 3 MB of JSON each: four positions suffice there

./mmgpt init-model --preset micro --arch llama --rope-scaling llama3 --rope-theta 500000 --rope-factor 8 \
  --dtype bfloat16 --tokenizer none --vocab-size 256 --seed 1 --output "$out/llama3-bf16"
./mmgpt init-model --preset micro --arch qwen3 --tokenizer none --vocab-size 256 --seed 2 --output "$out/qwen3"
./mmgpt init-model --preset micro --arch mistral --sliding-window 5 --rope-theta 10000 --tokenizer none \
  --vocab-size 256 --seed 3 --output "$out/mistral-window5"
cp -r engine/src/test/resources/golden/qwen2-tiny/model "$out/qwen2-golden"
for d in llama3-bf16 qwen3 mistral-window5 qwen2-golden; do logits "$out/$d"; done

# A real LoRA run on a Qwen2 micro model with the real tokenizer, then its merge (bfloat16 to fit).
./mmgpt init-model --preset micro --arch qwen2 --dtype bfloat16 --seed 4 --output "$out/qwen2-base"
./mmgpt train sft --model "$out/qwen2-base" --train-dir data/finetune --output-dir "$out/qwen2-sft" \
  --max-steps 3 --learning-rate 5e-2 --model-max-length 64 --batch-size 2 --validation-split-percentage 0
mkdir -p "$out/qwen2-adapter" && cp "$out"/qwen2-sft/adapter_* "$out/qwen2-adapter/"
./mmgpt merge --base "$out/qwen2-base" --adapter "$out/qwen2-adapter" --output "$out/qwen2-merged" \
  --dtype bfloat16 --max-shard-size 0.01
ids=$ids_short
logits "$out/qwen2-base"; logits "$out/qwen2-base" "$out/qwen2-adapter"; logits "$out/qwen2-merged"
rm -rf "$out/qwen2-sft" "$out"/*/tokenizer.json  # transformers needs no tokenizer here; keep the copy small
gzip "$out"/*/project_logits.json               # the device run gunzips them first
cat > "$out/RUN" <<'LIST'
llama3-bf16
qwen3
mistral-window5
qwen2-golden
qwen2-base qwen2-adapter qwen2-merged
LIST
du -sh "$out"
