#!/usr/bin/python3
"""PyTorch eager reference for the JVM benchmarks: the same Qwen2-style decoder and loops, in Python.

Run it with Debian's interpreter, /usr/bin/python3 (see setup-python-reference.sh): a pyenv or venv
`python3` earlier on PATH does not see Debian's dist-packages, where python3-torch lives.

Every subcommand prints exactly one JSON object on stdout; logs go to stderr.

    generate  --config small32m --batch 1 --prompt-len 32 --new-tokens 64   greedy decode, KV cache
    train     --config small32m --mode full|lora --batch 4 --block 256 --steps 5
    sgemm     --n 1024                                                       fp32 matmul GFLOP/s
    bandwidth                                                                memory bandwidth GB/s
    blas-info                                                                which BLAS torch calls

`--config` takes a preset name (small32m, qwen2.5-0.5b), inline JSON, a Hugging Face config.json,
or a directory holding one. Fields missing from a JSON are taken from small32m.
Weights are random (seeded); everything runs in float32 on the CPU.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, fields, replace
from typing import Optional

# Debian's torch runs its own ops on libgomp threads and calls the pthread OpenBLAS, which has a
# second pool. With libgomp's default (ACTIVE: idle threads spin), the spinning OpenMP threads take
# the cores OpenBLAS needs: a B4xT256 training step took 2.6-3.7 s instead of 1.3 s on 2 cores.
# PASSIVE must be set before libgomp is loaded (import torch); an explicit setting is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    import torch  # noqa: E402
except ModuleNotFoundError:
    sys.exit(f"{sys.executable} has no torch: run this with /usr/bin/python3 (Debian's python3-torch; "
             "a pyenv or venv python does not see it), after bench/setup-python-reference.sh")
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------

@dataclass
class ModelConfig:
    # Field names are Hugging Face's (Qwen2Config), so a config.json maps onto this directly.
    vocab_size: int = 8000
    hidden_size: int = 512
    intermediate_size: int = 1408
    num_hidden_layers: int = 8
    num_attention_heads: int = 8
    num_key_value_heads: int = 4
    head_dim: Optional[int] = None          # None: hidden_size // num_attention_heads (Qwen2)
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    max_position_embeddings: int = 4096
    tie_word_embeddings: bool = False
    attention_bias: bool = True             # Qwen2: q/k/v projections have a bias, o_proj has none
    initializer_range: float = 0.02

    @property
    def dim_head(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads


PRESETS = {
    # The project's test model: 31.8M parameters, untied embeddings.
    "small32m": ModelConfig(),
    # Qwen2.5-0.5B's shape (494M parameters, tied embeddings).
    "qwen2.5-0.5b": ModelConfig(vocab_size=151936, hidden_size=896, intermediate_size=4864,
                                num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                                rope_theta=1000000.0, max_position_embeddings=32768,
                                tie_word_embeddings=True),
}


def load_config(spec: str) -> ModelConfig:
    """A preset name, inline JSON, a config.json path, or a directory with a config.json."""
    if spec in PRESETS:
        return replace(PRESETS[spec])
    if spec.lstrip().startswith("{"):
        raw = json.loads(spec)
    else:
        path = os.path.join(spec, "config.json") if os.path.isdir(spec) else spec
        if not os.path.isfile(path):
            raise SystemExit(f"--config {spec!r}: not a preset ({', '.join(PRESETS)}), "
                             f"inline JSON, or a config.json file")
        with open(path) as f:
            raw = json.load(f)
    model_type = raw.get("model_type", "qwen2")
    if model_type not in ("qwen2", "llama", "mistral"):
        log(f"warning: model_type {model_type!r} is run as a Qwen2-style decoder")
    if raw.get("use_sliding_window"):
        log("warning: use_sliding_window is ignored (full attention everywhere)")
    if "attention_bias" not in raw and model_type in ("llama", "mistral"):
        raw["attention_bias"] = False
    known = {f.name for f in fields(ModelConfig)}
    cfg = replace(PRESETS["small32m"], **{k: v for k, v in raw.items() if k in known})
    if cfg.num_attention_heads % cfg.num_key_value_heads:
        raise SystemExit("num_attention_heads must be a multiple of num_key_value_heads")
    return cfg


# ---------------------------------------------------------------------------------------------
# Model (B = batch, T = new positions, L = positions attended to, C = hidden, H = query heads,
# KV = key/value heads, G = H // KV query heads per kv head, D = head dim, V = vocab)
# ---------------------------------------------------------------------------------------------

class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):                                           # x: [B, T, C]
        var = x.pow(2).mean(-1, keepdim=True)                       # [B, T, 1]
        return self.weight * (x * torch.rsqrt(var + self.eps))      # [B, T, C]


class RotaryEmbedding(nn.Module):
    """cos/sin tables in Hugging Face's rotate-half layout: frequencies repeated [f, f]."""

    def __init__(self, head_dim: int, max_len: int, theta: float):
        super().__init__()
        inv_freq = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
        freqs = torch.outer(torch.arange(max_len, dtype=torch.float32), inv_freq)  # [max_len, D/2]
        emb = torch.cat([freqs, freqs], dim=-1)                                    # [max_len, D]
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)

    def forward(self, start: int, length: int):
        return self.cos[start:start + length], self.sin[start:start + length]      # [T, D] each


def rotate_half(x):                                                 # x: [..., D]
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


def apply_rotary(x, cos, sin):                                      # x: [B, heads, T, D]
    return x * cos + rotate_half(x) * sin


class KVCache:
    """Preallocated per-layer K/V buffers [B, KV, max_len, D]; each step writes its slice in place
    and attention reads a view of the first `end` positions (no concatenation, no copy)."""

    def __init__(self, cfg: ModelConfig, batch: int, max_len: int):
        shape = (batch, cfg.num_key_value_heads, max_len, cfg.dim_head)
        self.k = [torch.zeros(shape) for _ in range(cfg.num_hidden_layers)]
        self.v = [torch.zeros(shape) for _ in range(cfg.num_hidden_layers)]

    def update(self, layer: int, k, v, start: int):                 # k, v: [B, KV, T, D]
        end = start + k.shape[2]
        self.k[layer][:, :, start:end] = k
        self.v[layer][:, :, start:end] = v
        return self.k[layer][:, :, :end], self.v[layer][:, :, :end]  # [B, KV, L, D] views


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int):
        super().__init__()
        self.layer = layer
        self.n_head, self.n_kv, self.d = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.dim_head
        C = cfg.hidden_size
        self.q_proj = nn.Linear(C, self.n_head * self.d, bias=cfg.attention_bias)
        self.k_proj = nn.Linear(C, self.n_kv * self.d, bias=cfg.attention_bias)
        self.v_proj = nn.Linear(C, self.n_kv * self.d, bias=cfg.attention_bias)
        self.o_proj = nn.Linear(self.n_head * self.d, C, bias=False)

    def forward(self, x, cos, sin, mask, cache: Optional[KVCache], start: int):
        B, T, _ = x.shape
        H, KV, D = self.n_head, self.n_kv, self.d
        G = H // KV
        q = self.q_proj(x).view(B, T, H, D).transpose(1, 2)          # [B, H, T, D]
        k = self.k_proj(x).view(B, T, KV, D).transpose(1, 2)         # [B, KV, T, D]
        v = self.v_proj(x).view(B, T, KV, D).transpose(1, 2)         # [B, KV, T, D]
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        if cache is not None:
            k, v = cache.update(self.layer, k, v, start)             # [B, KV, L, D]
        L = k.shape[2]
        # GQA without repeating K/V: query head h = kv * G + g uses kv head h // G (HF repeat_kv
        # order), so the G query heads of one kv head are stacked along the time axis.
        q = q.reshape(B, KV, G * T, D)                               # [B, KV, G*T, D]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D))       # [B, KV, G*T, L]
        if mask is not None:
            att = (att.view(B, KV, G, T, L) + mask).view(B, KV, G * T, L)  # mask: [T, L]
        att = F.softmax(att, dim=-1)
        y = att @ v                                                  # [B, KV, G*T, D]
        y = y.view(B, H, T, D).transpose(1, 2).reshape(B, T, H * D)  # [B, T, H*D]
        return self.o_proj(y)                                        # [B, T, C]


class MLP(nn.Module):
    """SwiGLU: down(silu(gate(x)) * up(x)), no biases."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        C, I = cfg.hidden_size, cfg.intermediate_size
        self.gate_proj = nn.Linear(C, I, bias=False)
        self.up_proj = nn.Linear(C, I, bias=False)
        self.down_proj = nn.Linear(I, C, bias=False)

    def forward(self, x):                                            # x: [B, T, C]
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))  # [B, T, I] -> [B, T, C]


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = Attention(cfg, layer)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, mask, cache, start):             # x: [B, T, C]
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask, cache, start)
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen2(nn.Module):
    def __init__(self, cfg: ModelConfig, max_len: int):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(Block(cfg, i) for i in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.embed_tokens.weight
        self.rotary = RotaryEmbedding(cfg.dim_head, max_len, cfg.rope_theta)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=self.cfg.initializer_range)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, idx, cache: Optional[KVCache] = None, start: int = 0, last_only: bool = False):
        B, T = idx.shape                                             # idx: [B, T] token ids
        x = self.embed_tokens(idx)                                   # [B, T, C]
        cos, sin = self.rotary(start, T)                             # [T, D]
        L = start + T
        # Causal additive mask: query at absolute position start+i sees keys 0..start+i.
        mask = None if T == 1 else torch.full((T, L), float("-inf")).triu(start + 1)  # [T, L]
        for block in self.layers:
            x = block(x, cos, sin, mask, cache, start)
        if last_only:
            x = x[:, -1:]                                            # [B, 1, C]
        return self.lm_head(self.norm(x))                            # [B, T or 1, V]


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


# ---------------------------------------------------------------------------------------------
# LoRA (peft conventions: A kaiming-uniform, B zeros, scaling alpha / r, base weights frozen)
# ---------------------------------------------------------------------------------------------

LORA_ALL = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: float, dropout: float):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))   # [r, in]
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))  # [out, r]
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.scaling = alpha / r

    def forward(self, x):                                            # x: [B, T, in]
        lora = F.linear(F.linear(self.dropout(x), self.lora_A), self.lora_B)  # [B, T, r] -> [B, T, out]
        return self.base(x) + lora * self.scaling


def apply_lora(model: nn.Module, r: int, alpha: float, dropout: float, target: str) -> list:
    names = LORA_ALL if target == "all" else tuple(t.strip() for t in target.split(","))
    for p in model.parameters():
        p.requires_grad_(False)
    wrapped = []
    for parent_name, parent in list(model.named_modules()):
        for name, child in list(parent.named_children()):
            if name in names and isinstance(child, nn.Linear):
                setattr(parent, name, LoRALinear(child, r, alpha, dropout))
                wrapped.append(f"{parent_name}.{name}")
    if not wrapped:
        raise SystemExit(f"--target {target!r} matched no linear layer (choose from {', '.join(LORA_ALL)})")
    return wrapped


# ---------------------------------------------------------------------------------------------
# Threads, BLAS, and the machine's own limits
# ---------------------------------------------------------------------------------------------

def loaded_blas() -> list:
    """Paths of BLAS libraries mapped into this process (libtorch links libblas.so.3 at import;
    Debian's alternatives decide which implementation that is)."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    paths = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            base = os.path.basename(path)
            if "blas" in base or "blis" in base or base.startswith(("libmkl", "libatlas")):
                paths.add(os.path.realpath(path))
    return sorted(paths)


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def sgemm_provider() -> Optional[str]:
    """The library whose sgemm_ libtorch_cpu really calls: dlsym through libtorch_cpu's handle
    follows its dependency order, dladdr names the file. A mapped OpenBLAS proves nothing alone
    (liblapack.so.3 can pull it in while libblas.so.3 is still the reference BLAS)."""
    loaded_blas()
    with open("/proc/self/maps") as f:
        torch_cpu = next((ln.split()[-1] for ln in f if "libtorch_cpu" in ln), None)
    if torch_cpu is None:
        return None
    try:
        addr = ctypes.cast(ctypes.CDLL(torch_cpu).sgemm_, ctypes.c_void_p).value
    except AttributeError:
        return None
    libc = ctypes.CDLL(None)
    libc.dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
    info = _DlInfo()
    if not libc.dladdr(addr, ctypes.byref(info)) or not info.dli_fname:
        return None
    return os.path.realpath(info.dli_fname.decode())


def openblas_lib():
    """The OpenBLAS that torch actually calls, or None. Only a library already mapped is used."""
    for path in loaded_blas():
        if "openblas" in os.path.basename(path):
            lib = ctypes.CDLL(path)
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib
    return None


def set_threads(n: Optional[int]) -> int:
    """torch.set_num_threads does not reach OpenBLAS in Debian's torch (built with BLAS_INFO=generic),
    so OpenBLAS's own pool is set to the same size here."""
    n = n or len(os.sched_getaffinity(0))
    torch.set_num_threads(n)
    lib = openblas_lib()
    if lib is not None:
        lib.openblas_set_num_threads(n)
    return n


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def env_info() -> dict:
    lib = openblas_lib()
    provider = sgemm_provider()
    return {
        "python": sys.executable,
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas_threads": lib.openblas_get_num_threads() if lib else None,
        "blas": provider,
        "openblas": provider is not None and "openblas" in provider,
        "cpu": cpu_model(),
        "cores_available": len(os.sched_getaffinity(0)),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }


def timed(fn, repeats: int, warmup: int) -> list:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


class Sgemm:
    """fp32 n x n matmul into a preallocated output, FLOPs = 2 n^3; GFLOP/s from the median time."""

    def __init__(self, n: int):
        self.n = n
        self.a, self.b, self.out = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
        self.times = []

    def sample(self, repeats: int, warmup: int = 1) -> None:
        self.times += timed(lambda: torch.mm(self.a, self.b, out=self.out), repeats, warmup)

    def result(self) -> dict:
        med, flops = statistics.median(self.times), 2 * self.n ** 3
        return {"n": self.n, "repeats": len(self.times), "ms_median": med * 1e3,
                "gflops": flops / med / 1e9, "gflops_best": flops / min(self.times) / 1e9}


def measure_sgemm(n: int, repeats: int = 30) -> dict:
    sg = Sgemm(n)
    sg.sample(repeats, warmup=3)
    return sg.result()


def measure_bandwidth(mib: int = 512, repeats: int = 10) -> dict:
    """Three streams over buffers far larger than the last-level cache; medians.
    read:  x.sum()               bytes = size of x                     (read only, like weights in decode)
    copy:  y.copy_(x)            bytes = 2 x size (read x + write y; the write-allocate read of y that
                                 the hardware may add is not counted)
    gemv:  torch.mv(W, v)        bytes = size of W (BLAS sgemv)
    linear_b1: F.linear(x, W), x one row: bytes = size of W. What nn.Linear does in a batch-1 decode
                                 step: torch sends it to sgemm with M=1, which OpenBLAS 0.3.21 runs
                                 ~4x slower than sgemv on a 256 MiB matrix."""
    n = mib * 2 ** 20 // 4
    x = torch.ones(n)
    y = torch.zeros(n)
    cols = 4096
    w = torch.ones(n // cols, cols)
    v = torch.ones(cols)
    row = torch.ones(1, cols)
    out = torch.empty(n // cols)
    nbytes = n * 4
    res = {"buffer_mib": mib, "repeats": repeats}
    for name, fn, moved in (("read", lambda: x.sum(), nbytes),
                            ("copy", lambda: y.copy_(x), 2 * nbytes),
                            ("gemv", lambda: torch.mv(w, v, out=out), nbytes),
                            ("linear_b1", lambda: F.linear(row, w), nbytes)):
        med = statistics.median(timed(fn, repeats, warmup=2))
        res[f"{name}_gbs"] = moved / med / 1e9
    return res


# ---------------------------------------------------------------------------------------------
# Subcommands
# ---------------------------------------------------------------------------------------------

def cmd_generate(args) -> dict:
    cfg = load_config(args.config)
    torch.manual_seed(args.seed)
    B, P, N = args.batch, args.prompt_len, args.new_tokens
    max_len = P + N + 1
    model = Qwen2(cfg, max_len).eval()
    n_params = count_params(model)
    log(f"generate: {n_params / 1e6:.2f}M params, batch {B}, prompt {P}, {N} decode steps, "
        f"{torch.get_num_threads()} threads")

    def run(steps: int):
        """Prefill (untimed), then `steps` greedy decode steps, each timed."""
        prompts = torch.randint(cfg.vocab_size, (B, P))                 # [B, P]
        cache = KVCache(cfg, B, max_len)
        t0 = time.perf_counter()
        logits = model(prompts, cache, 0, last_only=True)             # [B, 1, V]
        prefill = time.perf_counter() - t0
        tok = logits[:, -1].argmax(-1, keepdim=True)                  # [B, 1]
        out, step_times = [tok], []
        for i in range(steps):
            t0 = time.perf_counter()
            logits = model(tok, cache, P + i)                         # [B, 1, V]
            tok = logits[:, -1].argmax(-1, keepdim=True)              # [B, 1]
            step_times.append(time.perf_counter() - t0)
            out.append(tok)
        return prefill, step_times, torch.cat(out, 1)

    with torch.inference_mode():
        bw_before = None if args.no_bandwidth else measure_bandwidth(args.bandwidth_mib)
        run(min(args.warmup, N))                                      # warm-up: allocator, BLAS pools
        runs = [run(N) for _ in range(args.repeats)]                  # timed; the median run is reported
        bw_after = None if args.no_bandwidth else measure_bandwidth(args.bandwidth_mib)

    runs.sort(key=lambda r: sum(r[1]))
    prefill, step_times, tokens = runs[len(runs) // 2]
    total = sum(step_times)
    # Weights read per decode step: every parameter once (shared by the batch), except the input
    # embedding table, of which only B rows are read (when tied, lm_head reads the whole table).
    emb = cfg.vocab_size * cfg.hidden_size
    weight_bytes_step = 4 * (n_params - (0 if cfg.tie_word_embeddings else emb) + B * cfg.hidden_size)
    kv_per_pos = 2 * cfg.num_hidden_layers * cfg.num_key_value_heads * cfg.dim_head * 4 * B
    kv_avg = kv_per_pos * (P + 1 + (N - 1) / 2)                       # mean cache length read per step
    res = {
        "command": "generate", "config": asdict(cfg), "params": n_params,
        "batch": B, "prompt_len": P, "new_tokens": N, "warmup_steps": min(args.warmup, N), "seed": args.seed,
        "repeats": args.repeats, "tokens_per_s_each": [B * N / sum(r[1]) for r in runs],
        "kv_cache": "preallocated [B, KV, P+N+1, D] per layer, written in place, read as a view",
        "sampling": "greedy (argmax)",
        "tokens_per_s": B * N / total,
        "ms_per_token": total / N * 1e3,
        "ms_per_step_median": statistics.median(step_times) * 1e3,
        "prefill_ms": prefill * 1e3,
        "weight_bytes_per_step": weight_bytes_step,
        "weight_bytes_per_token": weight_bytes_step / B,
        "kv_bytes_per_step_mean": kv_avg,
        "checksum": int(tokens.sum()),
    }
    if bw_before is not None:
        # Read bandwidth, measured before and after the decode; the better one bounds the decoder.
        res["bandwidth_before"], res["bandwidth_after"] = bw_before, bw_after
        res["bandwidth_gbs"] = max(bw_before["read_gbs"], bw_after["read_gbs"])
        res["bound_tokens_per_s"] = res["bandwidth_gbs"] * 1e9 / (weight_bytes_step / B)
        res["fraction_of_bound"] = res["tokens_per_s"] / res["bound_tokens_per_s"]
    return res


def cmd_train(args) -> dict:
    cfg = load_config(args.config)
    torch.manual_seed(args.seed)
    B, T = args.batch, args.block
    model = Qwen2(cfg, T).train()
    n_params = count_params(model)
    wrapped = []
    if args.mode == "lora":
        wrapped = apply_lora(model, args.lora_rank, args.lora_alpha, args.lora_dropout, args.target)
    total_params = count_params(model)
    trainable = [p for p in model.parameters() if p.requires_grad]
    n_trainable = sum(p.numel() for p in trainable)
    opt = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=args.weight_decay)
    log(f"train {args.mode}: {total_params / 1e6:.2f}M params, {n_trainable / 1e6:.3f}M trainable, "
        f"B{B}xT{T}, {args.warmup} warm-up + {args.steps} timed steps, {torch.get_num_threads()} threads")
    gen = torch.Generator().manual_seed(args.seed)

    def step():
        data = torch.randint(cfg.vocab_size, (B, T + 1), generator=gen)    # [B, T+1]
        x, y = data[:, :-1], data[:, 1:]                                   # [B, T] inputs, targets
        logits = model(x)                                                  # [B, T, V]
        loss = F.cross_entropy(logits.reshape(B * T, -1), y.reshape(B * T))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        return loss.item()

    # sgemm is sampled in short bursts between the timed steps (not inside them), so the MFU
    # denominator sees the same neighbours' load as the steps on a shared machine.
    sg = None if args.no_sgemm else Sgemm(args.sgemm_n)
    if sg:
        sg.sample(5, warmup=3)
    losses = []
    for i in range(args.warmup):
        losses.append(step())
    times = []
    for i in range(args.steps):
        t0 = time.perf_counter()
        losses.append(step())
        times.append(time.perf_counter() - t0)
        log(f"  step {i}: {times[-1] * 1e3:.0f} ms, loss {losses[-1]:.4f}")
        if sg:
            sg.sample(5)

    med = statistics.median(times)
    res = {
        "command": "train", "mode": args.mode, "config": asdict(cfg),
        "batch": B, "block": T, "warmup_steps": args.warmup, "steps": args.steps, "seed": args.seed,
        "optimizer": f"torch.optim.AdamW(lr={args.lr}, weight_decay={args.weight_decay}), "
                     "global-norm clip 1.0, cross-entropy over all B*T positions",
        "params": total_params, "params_base": n_params, "trainable_params": n_trainable,
        "tokens_per_s": B * T / med,
        "tokens_per_s_mean": B * T * len(times) / sum(times),
        "ms_per_step": med * 1e3,
        "ms_per_step_mean": statistics.fmean(times) * 1e3,
        "ms_per_step_min": min(times) * 1e3,
        "loss_first": losses[0], "loss_last": losses[-1],
    }
    if args.mode == "lora":
        res["lora"] = {"rank": args.lora_rank, "alpha": args.lora_alpha, "dropout": args.lora_dropout,
                       "target": args.target, "modules": len(wrapped)}
    if sg:
        res["sgemm"] = sg.result()
        res["sgemm_gflops"] = res["sgemm"]["gflops"]
        res["model_gflops"] = 6 * n_params * res["tokens_per_s"] / 1e9
        res["mfu"] = res["model_gflops"] / res["sgemm_gflops"]
        # Against the fastest sgemm call: robust to neighbours; far below mfu = a contended run.
        res["mfu_vs_best_sgemm"] = res["model_gflops"] / res["sgemm"]["gflops_best"]
        if args.mode == "lora":
            # Frozen weights get no weight gradient: about 4 N FLOPs per token instead of 6 N.
            res["mfu_4n"] = res["mfu"] * 4 / 6
    return res


def cmd_sgemm(args) -> dict:
    return {"command": "sgemm", **measure_sgemm(args.n, args.repeats)}


def cmd_bandwidth(args) -> dict:
    res = measure_bandwidth(args.mib, args.repeats)
    return {"command": "bandwidth", "bandwidth_gbs": res["read_gbs"], **res}


def cmd_blas_info(args) -> dict:
    return {"command": "blas-info", "blas_libraries": loaded_blas(),
            "openblas_config": openblas_lib().openblas_get_config().decode() if openblas_lib() else None,
            "torch_config": torch.__config__.show().strip().splitlines()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--threads", type=int, default=None,
                        help="torch and OpenBLAS threads (default: all cores available)")
    common.add_argument("--seed", type=int, default=1234)
    common.add_argument("--allow-any-blas", action="store_true",
                        help="run even when torch's sgemm is not OpenBLAS's (figures then mean little)")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", parents=[common], help="greedy decode with a KV cache")
    g.add_argument("--config", default="small32m")
    g.add_argument("--batch", type=int, default=1)
    g.add_argument("--prompt-len", type=int, default=32)
    g.add_argument("--new-tokens", type=int, default=64)
    g.add_argument("--warmup", type=int, default=8, help="decode steps of the untimed warm-up run")
    g.add_argument("--repeats", type=int, default=1, help="timed runs; the median one is reported")
    g.add_argument("--no-bandwidth", action="store_true", help="skip the bandwidth bound")
    g.add_argument("--bandwidth-mib", type=int, default=512)
    g.set_defaults(fn=cmd_generate)

    t = sub.add_parser("train", parents=[common], help="forward + backward + clip + AdamW")
    t.add_argument("--config", default="small32m")
    t.add_argument("--mode", choices=("full", "lora"), default="full")
    t.add_argument("--batch", type=int, default=4)
    t.add_argument("--block", type=int, default=256)
    t.add_argument("--steps", type=int, default=10)
    t.add_argument("--warmup", type=int, default=2)
    t.add_argument("--lr", type=float, default=1e-4)
    t.add_argument("--weight-decay", type=float, default=0.0)
    t.add_argument("--lora-rank", type=int, default=8)
    t.add_argument("--lora-alpha", type=float, default=16.0)
    t.add_argument("--lora-dropout", type=float, default=0.0)
    t.add_argument("--target", default="all", help="'all' or a comma list of " + ",".join(LORA_ALL))
    t.add_argument("--no-sgemm", action="store_true", help="skip the sgemm measurement (no MFU)")
    t.add_argument("--sgemm-n", type=int, default=1024)
    t.set_defaults(fn=cmd_train)

    s = sub.add_parser("sgemm", parents=[common], help="fp32 n x n matmul GFLOP/s")
    s.add_argument("--n", type=int, default=1024)
    s.add_argument("--repeats", type=int, default=30)
    s.set_defaults(fn=cmd_sgemm)

    b = sub.add_parser("bandwidth", parents=[common], help="memory bandwidth GB/s")
    b.add_argument("--mib", type=int, default=512, help="buffer size (far above the L3 cache)")
    b.add_argument("--repeats", type=int, default=10)
    b.set_defaults(fn=cmd_bandwidth)

    i = sub.add_parser("blas-info", parents=[common], help="which BLAS torch really calls")
    i.set_defaults(fn=cmd_blas_info)

    args = p.parse_args(argv)
    set_threads(args.threads)
    provider = sgemm_provider()
    if args.command != "blas-info" and not (provider and "openblas" in provider) and not args.allow_any_blas:
        log(f"torch's sgemm comes from {provider}, not OpenBLAS: matmuls run ~30x slower and the figures "
            "prove nothing. Run bench/setup-python-reference.sh, or pass --allow-any-blas.")
        return 3
    res = args.fn(args)
    res = {**res, **env_info()}
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
