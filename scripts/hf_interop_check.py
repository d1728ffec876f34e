"""Checks the model directories that scripts/hf-interop.sh wrote against Hugging Face transformers and
peft: each line of RUN names a base model, optionally a PEFT adapter for it and a merged model.
Every directory holds what this project computed for it: project_logits.json.gz (the logits of a
probe) and project_greedy.json (greedy tokens after a prompt, with the KV cache). This script loads
each with transformers (the adapter with peft), computes the same, prints one line per directory and
exits 1 if any logit differs by more than TOLERANCE or any greedy token differs.

    python3 hf_interop_check.py INTEROP_DIR        (INTEROP_DIR holds RUN and the directories)
"""
import gzip
import json
import os
import sys

import torch
from transformers import AutoModelForCausalLM
from transformers.utils import logging

TOLERANCE = 1e-4  # float32 on both sides; bfloat16 weights are widened exactly by both


def load(path):
    return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()


def compare(model, path):
    """For one directory: max |logit difference|, whether greedy decoding agreed, HF's tokens, ours."""
    with gzip.open(os.path.join(path, 'project_logits.json.gz'), 'rt') as f:
        probe = json.load(f)
    with open(os.path.join(path, 'project_greedy.json')) as f:
        greedy = json.load(f)
    with torch.no_grad():
        logits = model(torch.tensor([probe['ids']])).logits[0]
        diff = (logits - torch.tensor(probe['logits'])).abs().max().item()
        prompt = torch.tensor([greedy['prompt_ids']])
        out = model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                             max_new_tokens=greedy['max_new_tokens'], pad_token_id=0)
    hf_ids = out[0, prompt.shape[1]:].tolist()
    return diff, hf_ids == greedy['project']['ids'], hf_ids, greedy['project']['ids']


def report(root, name, how, model):
    """Prints one directory's line; True when it failed."""
    diff, same, hf_ids, ours = compare(model, os.path.join(root, name))
    ok = diff <= TOLERANCE and same
    print(f"{name:<22} {how:<22} {diff:>12.3g}  {'equal' if same else f'DIFFER: hf {hf_ids} ours {ours}'}"
          f"{'' if ok else '  FAILED'}")
    return not ok


def main(root):
    logging.disable_progress_bar()
    failed = False
    print(f"{'directory':<22} {'loaded as':<22} {'max |dlogit|':>12}  greedy")
    with open(os.path.join(root, 'RUN')) as f:
        runs = [line.split() for line in f if line.strip()]
    for names in runs:
        base = load(os.path.join(root, names[0]))
        failed |= report(root, names[0], 'transformers', base)
        if len(names) > 1:  # peft wraps the base in place: this comes after the base's own check
            from peft import PeftModel
            adapted = PeftModel.from_pretrained(base, os.path.join(root, names[1])).eval()
            failed |= report(root, names[1], 'peft on ' + names[0], adapted)
        if len(names) > 2:
            failed |= report(root, names[2], 'transformers', load(os.path.join(root, names[2])))
    print('FAILED' if failed else f'all equal to Hugging Face (logits within {TOLERANCE}, greedy tokens exact)')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
