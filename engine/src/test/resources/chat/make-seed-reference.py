"""Writes seed-templates-reference.json from the seed project's own training/template.py
(MedicalGPT): every registered Conversation's fields, and what its get_dialog and get_prompt return
for a few conversations. The Java tests hold ConversationTemplates to these, character for character.

Usage: python3 make-seed-reference.py PATH/TO/MedicalGPT/training/template.py
(from a bare mirror: git -C <mirror> show HEAD:training/template.py > /tmp/template.py)
"""
import importlib.util
import json
import pathlib
import sys

spec = importlib.util.spec_from_file_location("seed_template", sys.argv[1])
seed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(seed)

CONVERSATIONS = [
    dict(pairs=[["感冒了怎么办？", ""]], system_prompt=""),
    dict(pairs=[["What is hypertension?", ""]], system_prompt="You are a careful doctor."),
    dict(pairs=[["感冒了怎么办？", "多喝水，注意休息。"], ["需要吃药吗？", ""]], system_prompt=""),
    dict(pairs=[["Q1", "A1"], ["Q2", "A2"], ["Q3", ""]], system_prompt="Custom system."),
    dict(pairs=[["Q1", "A1"], ["Q2", "A2"]], system_prompt=""),
]

templates = []
for name, t in seed.conv_templates.items():
    cases = []
    for c in CONVERSATIONS:
        cases.append(dict(pairs=c["pairs"], system_prompt=c["system_prompt"],
                          dialog=t.get_dialog(c["pairs"], system_prompt=c["system_prompt"]),
                          prompt=t.get_prompt(c["pairs"], system_prompt=c["system_prompt"])))
    templates.append(dict(name=name, system_prompt=t.system_prompt, prompt=t.prompt, sep=t.sep,
                          stop_str=t.stop_str, cases=cases))

out = pathlib.Path(__file__).parent / "seed-templates-reference.json"
out.write_text(json.dumps({"made_from": "MedicalGPT training/template.py", "templates": templates},
                          ensure_ascii=False, indent=1) + "\n")
print(len(templates), "templates")
