#!/usr/bin/python3
"""PyTorch reference training-step benchmark for the headsweep transformer.

Same model as the C code (pre-LN transformer, y = x W + b with W stored
[in][out], per-head gates multiplying the head contexts), classification with
2 classes reading only position 0, AdamW + global grad-norm clipping.

Run single-threaded, e.g.:
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 bench/torch_reference.py --config all

Output, one line per config:
    torch config=S tokens_per_s=12345.6 step_ms=12.34 gflops=1.23
"""
import argparse
import math
import os
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="all", choices=["S", "M", "all"])
    ap.add_argument("--steps", type=int, default=None,
                    help="timed steps per config (default: S=%d, M=%d)"
                         % (DEFAULT_STEPS["S"], DEFAULT_STEPS["M"]))
    args = ap.parse_args()

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var) != "1":
            print(f"warning: {var} is not 1 (run with "
                  "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1)", file=sys.stderr)
    torch.set_num_threads(1)
    torch.manual_seed(0)

    names = ["S", "M"] if args.config == "all" else [args.config]
    for name in names:
        run_config(name, args.steps if args.steps else DEFAULT_STEPS[name])


if __name__ == "__main__":
    main()
