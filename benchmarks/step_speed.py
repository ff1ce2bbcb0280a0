"""Training-step throughput of candidate recipes, fp32 and bf16 side by side, on this machine.

    python benchmarks/step_speed.py --threads 2 >> benchmarks/results/step_speed.jsonl

One JSON line per (configuration, dtype): median img/s over `--steps` timed optimiser steps (after 2
warm-up steps) of the real `HJEPA` forward/backward/AdamW/EMA on random images with the configuration's
masks; no data loading. Used to choose what fits in a wall-clock budget (see README, "Results").
"""
import argparse, json, time
import torch
from hjepa.config import preset, make_model, make_masker, hardware

CANDIDATES = {   # name -> overrides of the cpu-small preset
    'p4-96x4': dict(levels=2, batch_size=128),
    'p4-192x6': dict(levels=2, batch_size=128, encoder_kwargs={'embed_dim': 192, 'depth': 6, 'num_heads': 3}),
    'p2-96x4': dict(levels=2, batch_size=128, patch_size=2),
}


def speed(overrides: dict, bf16: bool, steps: int) -> float:
    cfg = preset('cpu-small', **overrides)
    torch.manual_seed(0)
    model, B = make_model(cfg), cfg.optim.batch_size
    masker = make_masker(cfg, model)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    x, times = torch.rand(B, 3, 32, 32), []
    for _ in range(steps + 2):
        t = time.perf_counter()
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            out = model(x, masker(B))
        out['loss'].backward(); opt.step(); opt.zero_grad(set_to_none=True); model.update_target(0.99)
        times.append(time.perf_counter() - t)
    return B / sorted(times[2:])[len(times[2:]) // 2]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--steps', type=int, default=6)
    p.add_argument('--only', nargs='*', choices=list(CANDIDATES))
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    hw = hardware('cpu')
    for name, o in CANDIDATES.items():
        if a.only and name not in a.only: continue
        for bf16 in (False, True):
            print(json.dumps({'config': name, 'overrides': o, 'dtype': 'bf16' if bf16 else 'fp32',
                              'img_per_s': round(speed(o, bf16, a.steps), 1), 'steps': a.steps,
                              'threads': a.threads, **hw}), flush=True)


if __name__ == '__main__':
    main()
