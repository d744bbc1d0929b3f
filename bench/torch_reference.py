#!/usr/bin/python3
"""PyTorch reference training-step benchmark for the headsweep transformer.

Same model as the C code (pre-LN transformer, y = x W + b with W stored
[in][out], per-head gates multiplying the head contexts), classification with
2 classes reading only position 0, AdamW + global grad-norm clipping.

Configuration B is BERT-base fine-tuning written as Hugging Face's
BertForSequenceClassification computes it (post-LN, nn.Linear layout, GELU
erf, tanh pooler), float32, without dropout (the C core has none), plus the
importance pass (weights frozen, gradient to the head gates only).

Run single-threaded, e.g.:
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 bench/torch_reference.py --config all
    OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 /usr/bin/python3 bench/torch_reference.py \
        --config B --mode both --threads 2

Output, one line per config (and mode):
    torch config=S tokens_per_s=12345.6 step_ms=12.34 gflops=1.23
    torch config=B mode=step threads=1 tokens_per_s=… step_ms=… cpu_ms=… gflops=… maxrss_mb=…
"""
import argparse
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

CONFIGS = {
    # name: (d, H, L, T, B)
    "S": dict(d=64, H=4, L=2, T=32, B=64),
    "M": dict(d=128, H=8, L=4, T=64, B=32),
}
VOCAB = 256
N_CLASSES = 2
# default timed steps per config (chosen so each config takes several seconds)
DEFAULT_STEPS = {"S": 200, "M": 30}
WARMUP = 3
N_BATCHES = 4


def forward_flops(d, H, L, T, B, Fd, C):
    return L * (2 * B * T * d * d * 4 + 4 * B * T * T * d + 4 * B * T * d * Fd) \
        + 2 * B * d * C


def make_params(d, H, L, T, Fd, V, C, gen):
    def mat(*shape, std=0.02):
        return (torch.randn(*shape, generator=gen) * std).requires_grad_()

    def zeros(*shape):
        return torch.zeros(*shape).requires_grad_()

    def ones(*shape):
        return torch.ones(*shape).requires_grad_()

    p = {
        "tok_emb": mat(V, d), "pos_emb": mat(T, d),
        "ln1_g": ones(L, d), "ln1_b": zeros(L, d),
        "wq": mat(L, d, d), "bq": zeros(L, d),
        "wk": mat(L, d, d), "bk": zeros(L, d),
        "wv": mat(L, d, d), "bv": zeros(L, d),
        "wo": mat(L, d, d), "bo": zeros(L, d),
        "ln2_g": ones(L, d), "ln2_b": zeros(L, d),
        "w1": mat(L, d, Fd), "b1": zeros(L, Fd),
        "w2": mat(L, Fd, d), "b2": zeros(L, d),
        "lnf_g": ones(d), "lnf_b": zeros(d),
        "out_w": mat(d, C), "out_b": zeros(C),
    }
    gates = torch.ones(L, H)  # fixed, not trained
    return p, gates


def forward_loss(p, gates, tokens, labels, H, L):
    B, T = tokens.shape
    d = p["tok_emb"].shape[1]
    dh = d // H
    scale = 1.0 / math.sqrt(dh)
    h = p["tok_emb"][tokens] + p["pos_emb"][:T]                # [B][T][d]
    for l in range(L):
        a = F.layer_norm(h, (d,), p["ln1_g"][l], p["ln1_b"][l], 1e-5)
        q = torch.matmul(a, p["wq"][l]) + p["bq"][l]
        k = torch.matmul(a, p["wk"][l]) + p["bk"][l]
        v = torch.matmul(a, p["wv"][l]) + p["bv"][l]
        q = q.view(B, T, H, dh).transpose(1, 2)                # [B][H][T][dh]
        k = k.view(B, T, H, dh).transpose(1, 2)
        v = v.view(B, T, H, dh).transpose(1, 2)
        s = torch.matmul(q, k.transpose(-1, -2)) * scale       # no padding, non-causal
        att = torch.softmax(s, dim=-1)
        c = torch.matmul(att, v) * gates[l].view(1, H, 1, 1)
        c = c.transpose(1, 2).reshape(B, T, d)
        h = h + torch.matmul(c, p["wo"][l]) + p["bo"][l]
        f = F.layer_norm(h, (d,), p["ln2_g"][l], p["ln2_b"][l], 1e-5)
        u = F.gelu(torch.matmul(f, p["w1"][l]) + p["b1"][l], approximate="tanh")
        h = h + torch.matmul(u, p["w2"][l]) + p["b2"][l]
    z = F.layer_norm(h[:, 0, :], (d,), p["lnf_g"], p["lnf_b"], 1e-5)  # position 0 only
    logits = torch.matmul(z, p["out_w"]) + p["out_b"]
    return F.cross_entropy(logits, labels)


def run_config(name, steps):
    cfg = CONFIGS[name]
    d, H, L, T, B = cfg["d"], cfg["H"], cfg["L"], cfg["T"], cfg["B"]
    Fd = 4 * d
    gen = torch.Generator().manual_seed(1234)
    p, gates = make_params(d, H, L, T, Fd, VOCAB, N_CLASSES, gen)
    params = list(p.values())
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
    batches = [(torch.randint(0, VOCAB, (B, T), generator=gen),
                torch.randint(0, N_CLASSES, (B,), generator=gen))
               for _ in range(N_BATCHES)]

    def step(i):
        tokens, labels = batches[i % N_BATCHES]
        loss = forward_loss(p, gates, tokens, labels, H, L)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    for i in range(WARMUP):
        step(i)

    # time in a few repeats, report the median per-step time
    repeats = 5
    per = max(1, steps // repeats)
    times = []
    for r in range(repeats):
        t0 = time.perf_counter()
        for i in range(per):
            loss = step(i)
        times.append((time.perf_counter() - t0) / per)
    step_s = statistics.median(times)
    if not math.isfinite(loss.item()):
        print(f"warning: non-finite loss in config {name}", file=sys.stderr)

    fl = forward_flops(d, H, L, T, B, Fd, N_CLASSES)
    print(f"torch config={name} tokens_per_s={B * T / step_s:.1f} "
          f"step_ms={step_s * 1e3:.2f} gflops={3 * fl / step_s / 1e9:.2f}",
          flush=True)



# --- B: BERT-base fine-tuning (BertForSequenceClassification's computation) ---
BERT = dict(d=768, H=12, L=12, T=128, B=8, F=3072, V=30522, P=512, TV=2, C=2, eps=1e-12)


def bert_flops(c):
    """Forward FLOPs counted as bench_train.c counts them (matrix products only)."""
    d, L, T, B, Fd, C = c["d"], c["L"], c["T"], c["B"], c["F"], c["C"]
    BT = B * T
    return L * (8 * BT * d * d + 4 * B * T * T * d + 4 * BT * d * Fd) + 2 * B * d * d + 2 * B * d * C


def bert_params(c, gen):
    """nn.Linear layout (weight [out][in]), as Hugging Face stores and runs BERT."""
    d, L, Fd, V, P, TV, C = c["d"], c["L"], c["F"], c["V"], c["P"], c["TV"], c["C"]

    def mat(*shape):
        return torch.randn(*shape, generator=gen) * 0.02

    p = {"word": mat(V, d), "pos": mat(P, d), "type": mat(TV, d),
         "emb_ln_g": torch.ones(d), "emb_ln_b": torch.zeros(d)}
    for l in range(L):
        for n, shape in (("q", (d, d)), ("k", (d, d)), ("v", (d, d)), ("o", (d, d)),
                         ("i", (Fd, d)), ("out", (d, Fd))):
            p[f"{l}.{n}.w"] = mat(*shape)
            p[f"{l}.{n}.b"] = torch.zeros(shape[0])
        for n in ("ln1", "ln2"):
            p[f"{l}.{n}.g"] = torch.ones(d)
            p[f"{l}.{n}.b"] = torch.zeros(d)
    p["pool.w"], p["pool.b"] = mat(d, d), torch.zeros(d)
    p["cls.w"], p["cls.b"] = mat(C, d), torch.zeros(C)
    return p


def bert_loss(p, gates, tokens, types, labels, c):
    """Post-LN encoder, GELU erf, tanh pooler on [CLS], linear classifier;
    gates[l][h] multiply each head's context (headsweep's gates; Hugging
    Face's head_mask multiplies the probabilities: the same product)."""
    d, H, L, eps = c["d"], c["H"], c["L"], c["eps"]
    B, T = tokens.shape
    dh = d // H
    pos = torch.arange(T)
    h = p["word"][tokens] + p["pos"][pos] + p["type"][types]
    h = F.layer_norm(h, (d,), p["emb_ln_g"], p["emb_ln_b"], eps)
    for l in range(L):
        def lin(x, n):
            return F.linear(x, p[f"{l}.{n}.w"], p[f"{l}.{n}.b"])
        q = lin(h, "q").view(B, T, H, dh).permute(0, 2, 1, 3)
        k = lin(h, "k").view(B, T, H, dh).permute(0, 2, 1, 3)
        v = lin(h, "v").view(B, T, H, dh).permute(0, 2, 1, 3)
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dh)   # full rows: no mask
        ctx = torch.matmul(torch.softmax(s, dim=-1), v) * gates[l].view(1, H, 1, 1)
        ctx = ctx.permute(0, 2, 1, 3).reshape(B, T, d)
        h = F.layer_norm(lin(ctx, "o") + h, (d,), p[f"{l}.ln1.g"], p[f"{l}.ln1.b"], eps)
        u = F.gelu(lin(h, "i"))                                     # erf form
        h = F.layer_norm(lin(u, "out") + h, (d,), p[f"{l}.ln2.g"], p[f"{l}.ln2.b"], eps)
    pooled = torch.tanh(F.linear(h[:, 0], p["pool.w"], p["pool.b"]))
    logits = F.linear(pooled, p["cls.w"], p["cls.b"])
    return F.cross_entropy(logits, labels)


def run_bert(mode, threads, secs):
    c = BERT
    gen = torch.Generator().manual_seed(1234)
    p = bert_params(c, gen)
    gates = torch.ones(c["L"], c["H"])
    B, T = c["B"], c["T"]
    tokens = torch.randint(0, c["V"], (B, T), generator=gen)
    types = (torch.arange(T) >= T // 2).long().expand(B, T)       # a sentence pair
    labels = torch.randint(0, c["C"], (B,), generator=gen)
    if mode == "step":
        for t in p.values():
            t.requires_grad_()
        # weight decay on the linear-layer matrices, as the C optimizer does
        decay = [t for n, t in p.items() if n.endswith(".w")]
        rest = [t for n, t in p.items() if not n.endswith(".w")]
        params = list(p.values())
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                                 {"params": rest, "weight_decay": 0.0}], lr=2e-5)

        def once():
            loss = bert_loss(p, gates, tokens, types, labels, c)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
    else:
        gates.requires_grad_()   # the weights stay frozen: no weight gradients

        def once():
            gates.grad = None
            loss = bert_loss(p, gates, tokens, types, labels, c)
            loss.backward()

    wall, cpu = time_blocks(once, secs)
    fl = (3 if mode == "step" else 2) * bert_flops(c)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"torch config=B mode={mode} threads={threads} tokens_per_s={B * T / wall:.1f} "
          f"step_ms={wall * 1e3:.3f} cpu_ms={cpu * 1e3:.3f} gflops={fl / wall / 1e9:.2f} "
          f"maxrss_mb={rss:.1f}", flush=True)


def time_blocks(once, secs):
    """Median wall and CPU seconds per call over blocks of about 0.5 s or one call."""
    once()
    t0 = time.perf_counter()
    once()
    first = time.perf_counter() - t0
    per = 1 if first > 0.5 else int(0.5 / first) + 1
    walls, cpus = [], []
    t_end = time.perf_counter() + secs
    while (time.perf_counter() < t_end or len(walls) < 3) and len(walls) < 64:
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(per):
            once()
        walls.append((time.perf_counter() - t0) / per)
        cpus.append((time.process_time() - c0) / per)
    return statistics.median(walls), statistics.median(cpus)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="all", choices=["S", "M", "B", "all"])
    ap.add_argument("--steps", type=int, default=None,
                    help="timed steps per config S/M (default: S=%d, M=%d)"
                         % (DEFAULT_STEPS["S"], DEFAULT_STEPS["M"]))
    ap.add_argument("--mode", default="step", choices=["step", "imp", "both"],
                    help="B: fine-tuning step, importance pass, or both")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5, help="B: seconds per mode")
    args = ap.parse_args()

    want = str(args.threads)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var) != want:
            print(f"warning: {var} is not {want} (torch's matrix products run in "
                  "OpenBLAS, which reads OPENBLAS_NUM_THREADS)", file=sys.stderr)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    names = ["S", "M"] if args.config == "all" else [args.config]
    for name in names:
        if name == "B":
            for mode in (["step", "imp"] if args.mode == "both" else [args.mode]):
                run_bert(mode, args.threads, args.seconds)
        else:
            run_config(name, args.steps if args.steps else DEFAULT_STEPS[name])


if __name__ == "__main__":
    main()
