"""Writes jinja-reference.json: what Jinja2, set up as Hugging Face's apply_chat_template sets it up,
renders for each case. The Java tests render the same cases with JinjaChatTemplate and compare.

The environment below is transformers' (_compile_jinja_template): ImmutableSandboxedEnvironment with
trim_blocks and lstrip_blocks, the loopcontrols extension, HF's tojson, raise_exception. Run from the
repository root with Jinja2 3.1 installed:  python3 engine/src/test/resources/chat/make-jinja-reference.py
"""
import json
import pathlib

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parents[4]


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception


def source(template):
    if template == "@qwen2.5":
        config = ROOT / "models" / "qwen2.5-tokenizer" / "tokenizer_config.json"
        return json.loads(config.read_text())["chat_template"]
    if template.startswith("@"):
        return (HERE / template[1:]).read_text()
    return template


def msgs(*pairs):
    return [{"role": r, "content": c} for r, c in pairs]


WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "查询天气 \"now\"",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "default": 1}},
                          "required": ["city"]}}}
LLAMA = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}
QWEN = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}
THINK = "<think>\nThe user has a cold.\n</think>\n\nRest and drink water."

cases = [
    # The real Qwen2.5 template, beyond what the tokenizer goldens cover.
    dict(name="qwen2.5 tools", template="@qwen2.5", tokens=QWEN, messages=msgs(("user", "北京天气？")),
         add_generation_prompt=True, variables={"tools": [WEATHER]}),
    dict(name="qwen2.5 tool responses", template="@qwen2.5", tokens=QWEN,
         messages=msgs(("system", "S"), ("user", "q"), ("assistant", "calling"), ("tool", "r1"), ("tool", "r2"), ("user", "thanks")),
         add_generation_prompt=True, variables={}),
    # Qwen3-style: enable_thinking, <think> handling, reversed-slice scan for the last query.
    dict(name="qwen3 prompt", template="@qwen3-style.jinja", tokens=QWEN, messages=msgs(("user", "头痛怎么办？")),
         add_generation_prompt=True, variables={}),
    dict(name="qwen3 no thinking", template="@qwen3-style.jinja", tokens=QWEN, messages=msgs(("user", "头痛怎么办？")),
         add_generation_prompt=True, variables={"enable_thinking": False}),
    dict(name="qwen3 thinking on", template="@qwen3-style.jinja", tokens=QWEN, messages=msgs(("user", "头痛怎么办？")),
         add_generation_prompt=True, variables={"enable_thinking": True}),
    dict(name="qwen3 reply with thinking", template="@qwen3-style.jinja", tokens=QWEN,
         messages=msgs(("system", "You are a doctor."), ("user", "I have a cold."), ("assistant", THINK)),
         add_generation_prompt=False, variables={}),
    dict(name="qwen3 history drops thinking", template="@qwen3-style.jinja", tokens=QWEN,
         messages=msgs(("user", "I have a cold."), ("assistant", THINK), ("user", "And a fever?")),
         add_generation_prompt=True, variables={"enable_thinking": False}),
    dict(name="qwen3 tools", template="@qwen3-style.jinja", tokens=QWEN,
         messages=msgs(("system", "Be brief."), ("user", "Weather?"), ("assistant", "ok"), ("tool", "<tool_response>sunny</tool_response>")),
         add_generation_prompt=True, variables={"tools": [WEATHER]}),
    # Llama-3.1-style: bos_token, messages[1:], |trim, tojson(indent=4), 'x' in dict, is iterable.
    dict(name="llama3 system", template="@llama3-style.jinja", tokens=LLAMA,
         messages=msgs(("system", "  You are a nurse.  "), ("user", "Hi "), ("assistant", "Hello!"), ("user", "Bye")),
         add_generation_prompt=True, variables={}),
    dict(name="llama3 date", template="@llama3-style.jinja", tokens=LLAMA, messages=msgs(("user", "Hi")),
         add_generation_prompt=False, variables={"date_string": "01 Jan 2026"}),
    dict(name="llama3 tools in user message", template="@llama3-style.jinja", tokens=LLAMA,
         messages=msgs(("user", "Weather in Paris?"), ("assistant", "…"), ("tool", "sunny")),
         add_generation_prompt=True, variables={"tools": [WEATHER]}),
    dict(name="llama3 tools in system", template="@llama3-style.jinja", tokens=LLAMA,
         messages=msgs(("system", "S"), ("user", "Weather?")),
         add_generation_prompt=True, variables={"tools": [WEATHER], "tools_in_user_message": False,
                                                "builtin_tools": ["brave_search", "code_interpreter", "wolfram_alpha"]}),
    dict(name="llama3 raise_exception", template="@llama3-style.jinja", tokens=LLAMA, messages=msgs(("system", "S")),
         add_generation_prompt=True, variables={"tools": [WEATHER]}),
]

# Single-line templates in the style of Llama 2, Gemma and DeepSeek-R1 (roles must alternate, system
# folded into the first turn, '!=' on booleans, 'not in' on a dict, <think> stripped from history).
LLAMA2 = ("{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
          "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
          "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
          "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
          "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
          "{% else %}{% set content = message['content'] %}{% endif %}"
          "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
          "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}")
GEMMA = ("{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
         "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
         "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
         "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
         "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
         "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}")
DEEPSEEK_R1 = ("{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"
               "{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', is_first_sp=true) %}"
               "{%- for message in messages %}{%- if message['role'] == 'system' %}{%- if ns.is_first_sp %}"
               "{% set ns.system_prompt = ns.system_prompt + message['content'] %}{% set ns.is_first_sp = false %}"
               "{%- else %}{% set ns.system_prompt = ns.system_prompt + '\n\n' + message['content'] %}{%- endif %}{%- endif %}{%- endfor %}"
               "{{ bos_token }}{{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] == 'user' %}"
               "{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}"
               "{%- if message['role'] == 'assistant' and 'tool_calls' not in message %}{%- if ns.is_tool %}"
               "{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}"
               "{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}"
               "{% set content = content.split('</think>')[-1] %}{% endif %}"
               "{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}{%- endfor -%}"
               "{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\n'}}{% endif %}")
L2 = {"bos_token": "<s>", "eos_token": "</s>"}
cases += [
    dict(name="llama2 system", template=LLAMA2, tokens=L2,
         messages=msgs(("system", "Be safe."), ("user", " Hi "), ("assistant", " Hello "), ("user", "Bye")),
         add_generation_prompt=True, variables={}),
    dict(name="llama2 roles must alternate", template=LLAMA2, tokens=L2, messages=msgs(("user", "a"), ("user", "b")),
         add_generation_prompt=True, variables={}),
    dict(name="gemma", template=GEMMA, tokens={"bos_token": "<bos>", "eos_token": "<eos>"},
         messages=msgs(("user", "Hi\n"), ("assistant", "Hello"), ("user", "Bye")), add_generation_prompt=True, variables={}),
    dict(name="gemma no system", template=GEMMA, tokens={"bos_token": "<bos>"}, messages=msgs(("system", "S"), ("user", "Hi")),
         add_generation_prompt=True, variables={}),
    dict(name="deepseek-r1", template=DEEPSEEK_R1, tokens={"bos_token": "<｜begin▁of▁sentence｜>"},
         messages=msgs(("system", "A"), ("system", "B"), ("user", "Q1"), ("assistant", "<think>\nhmm\n</think>\n\nA1"), ("user", "Q2")),
         add_generation_prompt=True, variables={}),
]

# Constructs, one at a time. Whitespace control first: these are where Jinja engines differ.
constructs = [
    "{%- if true %}\n    {{- 'a' }}\n{%- endif %}\n",
    "Hello {% if true %}x{% endif %}\n",
    "  {% if true %}\n  x\n  {% endif %}\n  y\n",
    "a\n  {#- c #}\n  b",
    "{% for i in [1,2] %}\n{{ i }}\n{% endfor %}",
    "x {{- ' y ' -}} z\n\n",
    "{{ 'a' }}\n{{ 'b' }}\n",
    "  {%+ if true %}k{% endif %}",
    "{% if true -%}\n\n   z{%- endif %}",
    "line\n    {# comment #}\nnext",
    "{% set x = 'a' %}\n  {{ x }}",
    "{{ \"%}\" }}{% if \"%}\" %}q{% endif %}",
    "{% raw %}  {{ x }}\n{% endraw %}\nafter",
    "a  {%- raw -%}  b {{ c }}  {%- endraw -%}  d",
    "{% if true +%}\n  k\n{%- endif %}",
    "{{ {'k': 'v'}['k'] }}|{{ [{'a': 1}][0]['a'] }}",
    "t\r\nu\r\n",
    # Python string methods and literals.
    "{{ '  ab \\n'.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '\\n\\nq'.lstrip('\\n') }}|{{ 'q  '.rstrip() }}",
    "{{ 'abc'.startswith('a') }}|{{ 'abc'.endswith(('x', 'c')) }}|{{ 'abc'.startswith('b') }}",
    "{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a.b.c'.split('.', 1) }}|{{ 'a.b.c'.rsplit('.', 1) }}|{{ 'a|b'.split('|')[-1] }}",
    "{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }}|{{ 'AbC'.upper() }}{{ 'AbC'.lower() }}",
    "{{ 'aaa'.replace('a', 'b') }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'abcb'.find('b') }}|{{ 'abcb'.rfind('b') }}|{{ 'abcb'.count('b') }}|{{ '-'.join(['x', 'y']) }}",
    "{{ '\\u4e2d\\x41\\t\\'q\\'' }}|{{ \"a\\\"b\" }}|{{ 'back\\\\slash' }}",
    "{{ 'abc'[-1] }}|{{ 'abc'[0] }}|{{ 'abcdef'[1:3] }}|{{ 'abcdef'[::2] }}|{{ 'abc'[::-1] }}",
    # Lists, slices, loops, namespaces.
    "{{ [1,2,3,4][::-1] }}|{{ [1,2,3,4][-2:] }}|{{ [1,2,3,4][:-1] }}|{{ [1,2,3,4][1::2] }}|{{ [1,2,3,4][3:0:-1] }}",
    "{% for m in msgs[::-1] %}{{ loop.index0 }}{{ m.role[0] }}{% if not loop.last %},{% endif %}{% endfor %}",
    "{% for m in msgs %}{{ loop.index }}/{{ loop.length }}{{ '^' if loop.first }}{{ '$' if loop.last }} {% endfor %}",
    "{% set ns = namespace(n=0, seen=false) %}{% for m in msgs %}{% set ns.n = ns.n + 1 %}{% if m.role == 'assistant' %}{% set ns.seen = true %}{% endif %}{% endfor %}{{ ns.n }} {{ ns.seen }}",
    "{% for m in msgs %}{% if loop.index0 == 1 %}{% break %}{% endif %}{{ m.role }}{% endfor %}|{% for m in msgs %}{% if loop.first %}{% continue %}{% endif %}{{ m.role }}{% endfor %}",
    "{{ msgs | selectattr('role', 'equalto', 'user') | list | length }}|{{ msgs | map(attribute='role') | join(',') }}|{{ (msgs | first).role }}|{{ (msgs | last).content }}",
    "{{ 'user' in msgs[0].role }}|{{ 'role' in msgs[0] }}|{{ 'tool_calls' in msgs[0] }}|{{ 'x' not in 'abc' }}|{{ 2 in [1, 2] }}",
    "{{ msgs[0].tool_calls is defined }}|{{ msgs[0].content is string }}|{{ msgs[0] is mapping }}|{{ msgs is sequence }}|{{ nothing is defined }}|{{ 3 is number }}",
    "{% if not msgs[0].tool_calls %}no calls{% endif %}|{{ msgs[0].get('content') }}|{{ msgs[0].get('missing', 'dflt') }}",
    "{{ 'a' ~ 1 ~ 'b' }}|{{ 'x' + 'y' }}|{{ 7 // 2 }}|{{ 7 % 3 }}|{{ 2 ** 3 }}|{{ 1 if false else 2 }}|{{ (1 + 2) * 3 }}",
    "{{ ' x ' | trim }}|{{ msgs | length }}|{{ 'abc' | length }}|{{ nothing | default('d') }}|{{ 'abc' | upper }}|{{ [3, 1, 2] | sort | join }}",
    "{% macro turn(role, text='') %}<{{ role }}>{{ text }}</{{ role }}>{% endmacro %}{{ turn('u', 'hi') }}{{ turn('a') }}",
    "{% set greeting %}Hi {{ msgs[0].content }}{% endset %}{{ greeting | trim }}",
    "{% set x = 1 %}{% for m in msgs %}{% set x = 2 %}{% endfor %}{{ x }}|{% if true %}{% set y = 3 %}{% endif %}{{ y }}",
    "{%- for m in msgs %}\n    {%- if m.role == 'user' %}\n        {{- '[U]' + m.content }}\n    {%- elif m.role == 'assistant' %}\n        {{- '[A]' + m.content }}\n    {%- endif %}\n{%- endfor %}\n",
    # HF's tojson: Python's layout, ensure_ascii=False.
    "{{ {'b': [1, 2.5, none, true], 'a': '中\"\\n'} | tojson }}",
    "{{ {'b': 1, 'a': {'c': []}} | tojson(indent=2) }}|{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}|{{ [1, 2] | tojson(separators=(',', ':')) }}",
    "{{ 0.1 | tojson }}|{{ 1.0 | tojson }}|{{ 100 | tojson }}|{{ 'é' | tojson }}|{{ msgs[0] | tojson }}",
]
CTX = msgs(("user", "hi"), ("assistant", "yo"), ("user", "bye"))
for i, t in enumerate(constructs):
    cases.append(dict(name=f"construct {i}", template=t, tokens={}, messages=CTX, add_generation_prompt=False,
                      variables={"msgs": CTX}))

out = []
for case in cases:
    context = dict(case["tokens"])
    context.update(case["variables"])
    try:
        text = env.from_string(source(case["template"])).render(
            messages=case["messages"], add_generation_prompt=case["add_generation_prompt"], **context)
        out.append({**case, "text": text})
    except jinja2.exceptions.TemplateError as e:
        out.append({**case, "error": str(e)})

(HERE / "jinja-reference.json").write_text(json.dumps(
    {"made_with": f"Jinja2 {jinja2.__version__}, set up as transformers' apply_chat_template", "cases": out},
    ensure_ascii=False, indent=1) + "\n")
print(len(out), "cases")
