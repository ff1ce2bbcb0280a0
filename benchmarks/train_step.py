"""Training-step throughput of hjepa, with the machine's matmul peak for context.

    python benchmarks/train_step.py --levels 1 --dtype fp32 --steps 20

Times the full step (mask sampling, target forward, context forward/backward, predictor, AdamW step,
EMA update) on random images. Shared machines are noisy, so img_per_s comes from the median step time
(the mean is printed too), and the matmul peak is the best of many repetitions measured before and after
the steps. Ends with one JSON line: img_per_s, levels, dtype, batch,
gflop_per_img (matmul + attention FLOPs of forward and backward, counted by torch's FlopCounterMode),
peak_gflops (a large matmul in the same dtype), the achieved fraction of it, and the mean context and
target token counts per image (so that equal-work comparisons can be checked).
"""
import argparse, json, time
import torch
from torch.utils.flop_counter import FlopCounterMode
from hjepa.model import HJEPA, param_groups, train_step
from hjepa.config import hardware

DTYPES = {'fp32': None, 'bf16': torch.bfloat16}


def matmul_peak(dtype, device, n=2048, reps=20):
    "GFLOP/s of an n×n×n matmul in `dtype` (best of `reps`)."
    a = torch.randn(n, n, device=device, dtype=dtype); b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3): a @ b
    best = float('inf')
    for _ in range(reps):
        sync(device); t = time.perf_counter(); a @ b; sync(device)
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--levels', type=int, default=1)
    p.add_argument('--dtype', choices=list(DTYPES), default='fp32')
    p.add_argument('--steps', type=int, default=20, help='timed steps')
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--encoder', default='vit_tiny_patch16_224')
    p.add_argument('--img-size', type=int, default=32)
    p.add_argument('--patch-size', type=int, default=4)
    p.add_argument('--predictor-dim', type=int, default=96)
    p.add_argument('--predictor-depth', type=int, default=6)
    p.add_argument('--strategy', default='hierarchical', choices=['hierarchical', 'multiblock', 'random'])
    p.add_argument('--context-scale', type=float, nargs=2, default=(0.85, 1.0), metavar=('LO', 'HI'))
    p.add_argument('--device', default='cpu')
    p.add_argument('--compile', action='store_true', help='torch.compile the three networks (model.compile)')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args(argv)

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    device, amp = torch.device(a.device), DTYPES[a.dtype]
    model = HJEPA(a.encoder, a.img_size, a.patch_size, a.levels, a.predictor_dim, a.predictor_depth).to(device)
    masker = model.make_masker(strategy=a.strategy, context_scale=tuple(a.context_scale), seed=a.seed)
    opt = torch.optim.AdamW(param_groups(model), lr=1e-4, fused=True)
    if a.compile: model.compile(dynamic=True)
    images = torch.rand(a.batch, 3, a.img_size, a.img_size, device=device)

    def step():
        masks = masker(a.batch).to(device, non_blocking=True)
        return masks, train_step(model, opt, images, masks, momentum=0.996, amp_dtype=amp)

    # FLOPs of one step (forward + backward), then warm-up
    with FlopCounterMode(display=False) as fc: step()
    flops_step = fc.get_total_flops()
    for _ in range(a.warmup): step()

    peak = matmul_peak(amp or torch.float32, device)
    ctx_tokens, tgt_tokens, mask_time, times = [], [], 0.0, []
    for _ in range(a.steps):
        sync(device); t0 = time.perf_counter()
        masks = masker(a.batch); mask_time += time.perf_counter() - t0
        masks = masks.to(device, non_blocking=True)
        train_step(model, opt, images, masks, momentum=0.996, amp_dtype=amp)
        sync(device); times.append(time.perf_counter() - t0)
        ctx_tokens.append(masks.context.shape[1])
        tgt_tokens.append([t.shape[1] * t.shape[2] for t in masks.targets])
    peak = max(peak, matmul_peak(amp or torch.float32, device))

    dt = sorted(times)[len(times) // 2]                       # median step time
    img_s = a.batch / dt
    gflop_img = flops_step / a.batch / 1e9
    res = dict(img_per_s=round(img_s, 1), levels=a.levels, dtype=a.dtype, batch=a.batch,
               gflop_per_img=round(gflop_img, 4), peak_gflops=round(peak, 1),
               achieved_gflops=round(img_s * gflop_img, 1), frac_of_peak=round(img_s * gflop_img / peak, 3),
               mean_context_tokens=round(sum(ctx_tokens) / len(ctx_tokens), 2),
               mean_target_tokens=[round(sum(t[l] for t in tgt_tokens) / len(tgt_tokens), 2) for l in range(a.levels)],
               mask_time_frac=round(mask_time / sum(times), 4), step_ms=round(1000 * dt, 1),
               mean_img_per_s=round(a.batch * len(times) / sum(times), 1),
               steps=a.steps, threads=a.threads, encoder=a.encoder, img_size=a.img_size, patch_size=a.patch_size,
               predictor=f'{a.predictor_dim}x{a.predictor_depth}', strategy=a.strategy, compile=a.compile,
               context_scale=list(a.context_scale),
               **hardware(device))
    print(json.dumps(res))
    return res


if __name__ == '__main__':
    main()
