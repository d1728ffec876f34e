#!/usr/bin/env bash
# The Hugging Face interop check: model directories, adapters and merged models this project
# writes must load in transformers and peft and compute what the engine computes.
#
#   bash scripts/hf-interop.sh                  prepare .device/interop/ (for a machine that has them)
#   bash scripts/hf-interop.sh PYTHON           prepare, then check with PYTHON (transformers + peft)
#
# Then elsewhere: python3 .device/interop/hf_interop_check.py .device/interop
# Each case directory gets the engine's logits for a probe and its greedy tokens (KV cache) after a
# prompt; the check compares both (logits within 1e-4, tokens exact) and exits 1 on a difference.
# Cases: Llama with llama3 rope scaling stored in bfloat16, with its config in the transformers-4
# and the transformers-5 style; Qwen3 (q/k norms, its own head_dim), and Qwen3 with a sliding window
# on one layer of two (layer_types); Mistral with a sliding window shorter than the probe; the tiny
# Qwen2 golden model; a LoRA adapter trained by `mmgpt train` on a Qwen2 model with the real
# tokenizer, and the sharded bfloat16 model `mmgpt merge` made of it; a fully fine-tuned model.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.device/interop
rm -rf "$out" && mkdir -p "$out"
cp scripts/hf_interop_check.py "$out/"
ids=5,17,200,3,99,42,7,130,64,12,250,33,1,88,19,7
# The engine's logits for the probe and its greedy tokens after the probe's first six ids.
probe() {
  ./mmgpt logits --model "$1" ${2:+--adapter "$2"} --ids "$ids" --output "${2:-$1}/project_logits.json"
  local prompt greedy
  prompt=$(cut -d, -f1-6 <<<"$ids")
  greedy=$(./mmgpt generate --model "$1" ${2:+--adapter "$2"} --prompt-ids "$prompt" --max-new-tokens 10 --greedy --json)
  printf '{"prompt_ids": [%s], "max_new_tokens": 10, "project": %s}\n' "$prompt" "$greedy" > "${2:-$1}/project_greedy.json"
}
# Rewrites DIR/config.json with a Python expression over it, `c`.
edit_config() {
  python3 -c 'import json, sys; p = sys.argv[1] + "/config.json"; c = json.load(open(p)); exec(sys.argv[2]); json.dump(c, open(p, "w"), indent=2)' "$1" "$2"
}
micro() { ./mmgpt init-model --preset micro --tokenizer none --vocab-size 256 "$@"; }

micro --arch llama --rope-scaling llama3 --rope-theta 500000 --rope-factor 8 --dtype bfloat16 --seed 1 \
  --output "$out/llama3-bf16"
cp -r "$out/llama3-bf16" "$out/llama3-bf16-v5config"
edit_config "$out/llama3-bf16-v5config" 'c["rope_parameters"] = dict(c.pop("rope_scaling"), rope_theta=c.pop("rope_theta")); c["dtype"] = c.pop("torch_dtype")'
micro --arch qwen3 --seed 2 --output "$out/qwen3"
micro --arch qwen3 --sliding-window 5 --seed 5 --output "$out/qwen3-window5-layer1"
edit_config "$out/qwen3-window5-layer1" 'c["layer_types"] = ["full_attention", "sliding_attention"]'
micro --arch mistral --sliding-window 5 --rope-theta 10000 --seed 3 --output "$out/mistral-window5"
cp -r engine/src/test/resources/golden/qwen2-tiny/model "$out/qwen2-golden"
for d in llama3-bf16 llama3-bf16-v5config qwen3 qwen3-window5-layer1 mistral-window5 qwen2-golden; do
  probe "$out/$d"
done

# Real training runs on a Qwen2 micro model with the real tokenizer: LoRA, its merge (bfloat16, in
# shards), and full fine-tuning.
./mmgpt init-model --preset micro --arch qwen2 --dtype bfloat16 --seed 4 --output "$out/qwen2-base"
sft() {
  ./mmgpt train sft --model "$out/qwen2-base" --train-dir data/finetune --max-steps 3 --learning-rate 5e-2 \
    --model-max-length 64 --batch-size 2 --validation-split-percentage 0 "$@"
}
sft --output-dir "$out/qwen2-sft"
mkdir -p "$out/qwen2-adapter" && cp "$out"/qwen2-sft/adapter_* "$out/qwen2-adapter/"
./mmgpt merge --base "$out/qwen2-base" --adapter "$out/qwen2-adapter" --output "$out/qwen2-merged" \
  --dtype bfloat16 --max-shard-size 0.01
sft --output-dir "$out/qwen2-full" --use-peft false --learning-rate 1e-3
ids=9707,11,1879,0,872,553  # 151k-wide rows are 3 MB of JSON each: six positions suffice there
for d in qwen2-base qwen2-merged qwen2-full; do probe "$out/$d"; done
probe "$out/qwen2-base" "$out/qwen2-adapter"
rm -rf "$out/qwen2-sft" "$out"/qwen2-full/{checkpoint-*,runs} "$out"/*/tokenizer.json  # keep the copy small
gzip "$out"/*/project_logits.json
cat > "$out/RUN" <<'LIST'
llama3-bf16
llama3-bf16-v5config
qwen3
qwen3-window5-layer1
mistral-window5
qwen2-golden
qwen2-base qwen2-adapter qwen2-merged
qwen2-full
LIST
du -sh "$out"
if [[ $# -gt 0 ]]; then
  "$1" "$out/hf_interop_check.py" "$out"
fi
