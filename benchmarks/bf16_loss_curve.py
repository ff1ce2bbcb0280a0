"""Does bf16 autocast change learning? Loss curves of the reference CPU config in fp32 and bf16.

    python benchmarks/bf16_loss_curve.py --data ../shared/data/cifar10-train-jpeg.tar.gz --steps 300 \
        --seeds 0 1 --out benchmarks/results/bf16_loss_curve

Trains the reference config (ViT-Tiny, 32 px, patch 4, predictor 96x6, batch 128, AdamW lr 5e-4 with a
linear warm-up, EMA 0.996 -> 1) on a fixed subset of CIFAR-10 training images (random crops and flips),
once per (dtype, seed). A seed fixes the initialisation, the masks and the batches, so fp32 and bf16 runs
of one seed see identical inputs; two fp32 seeds measure the run-to-run noise. Writes <out>.json (per-step
losses and times) and <out>.png (the curves), and prints a summary line.
"""
import argparse, io, json, tarfile, time
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from hjepa.model import HJEPA, param_groups, train_step, momentum_schedule


def load_images(path: str, n: int, seed: int = 0) -> torch.Tensor:
    "A fixed random subset of `n` images from an ImageFolder tar of JPEGs, as uint8 `[n, 3, 32, 32]`."
    with tarfile.open(path) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile() and m.name.endswith('.jpg')), key=lambda m: m.name)
        pick = torch.randperm(len(members), generator=torch.Generator().manual_seed(seed))[:n].tolist()
        imgs = [np.asarray(Image.open(io.BytesIO(tar.extractfile(members[i]).read())).convert('RGB')) for i in sorted(pick)]
    return torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).contiguous()


def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    "Random 4-pixel-padded crops and horizontal flips of a uint8 batch, returned as float in [0, 1]."
    B = x.shape[0]
    x = F.pad(x.float() / 255, (4, 4, 4, 4), mode='reflect')
    dy, dx = torch.randint(0, 9, (2, B), generator=g)
    rows = (dy[:, None] + torch.arange(32))[:, None, :, None].expand(B, 3, 32, 40)
    x = x.gather(2, rows)
    cols = (dx[:, None] + torch.arange(32))[:, None, None, :].expand(B, 3, 32, 32)
    x = x.gather(3, cols)
    flip = torch.rand(B, generator=g) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def run(data, dtype, seed, steps, batch, lr, warmup):
    torch.manual_seed(seed)
    model = HJEPA('vit_tiny_patch16_224', 32, 4, levels=1, predictor_dim=96, predictor_depth=6)
    masker = model.make_masker(seed=seed)
    opt = torch.optim.AdamW(param_groups(model, 0.04), lr=lr, fused=True)
    g = torch.Generator().manual_seed(seed)
    amp = torch.bfloat16 if dtype == 'bf16' else None
    losses, times = [], []
    for step in range(steps):
        for group in opt.param_groups: group['lr'] = lr * min(1.0, (step + 1) / warmup)
        t = time.perf_counter()
        idx = torch.randint(0, len(data), (batch,), generator=g)
        out = train_step(model, opt, augment(data[idx], g), masker(batch), momentum_schedule(step, steps), amp)
        times.append(time.perf_counter() - t)
        losses.append(out['loss'].item())
    return losses, times


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default='../shared/data/cifar10-train-jpeg.tar.gz')
    p.add_argument('--images', type=int, default=10_000)
    p.add_argument('--steps', type=int, default=300)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--lr', type=float, default=5e-4)
    p.add_argument('--warmup', type=int, default=30)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--out', default='benchmarks/results/bf16_loss_curve')
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    data = load_images(a.data, a.images)
    runs = {}
    for seed in a.seeds:
        for dtype in ('fp32', 'bf16'):
            losses, times = run(data, dtype, seed, a.steps, a.batch, a.lr, a.warmup)
            runs[f'{dtype}/seed{seed}'] = {'loss': losses, 'step_s': times}
            print(f'{dtype} seed {seed}: final-50 mean loss {np.mean(losses[-50:]):.4f}, '
                  f'median step {np.median(times):.2f}s', flush=True)

    def tail(k): return float(np.mean(runs[k]['loss'][-50:]))
    summary = {f'{k} last50': round(tail(k), 4) for k in runs}
    s0, s1 = a.seeds[0], a.seeds[-1]
    summary['|bf16 - fp32| same seed (last 50 steps)'] = [round(abs(tail(f'bf16/seed{s}') - tail(f'fp32/seed{s}')), 4) for s in a.seeds]
    if s0 != s1: summary['|fp32 seed - fp32 seed| (noise)'] = round(abs(tail(f'fp32/seed{s0}') - tail(f'fp32/seed{s1}')), 4)
    summary['median step s'] = {k: round(float(np.median(v['step_s'])), 3) for k, v in runs.items()}
    import os; os.makedirs(os.path.dirname(a.out) or '.', exist_ok=True)
    json.dump({'args': vars(a), 'summary': summary, 'runs': runs}, open(a.out + '.json', 'w'))

    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for k, v in runs.items():
        l = np.convolve(v['loss'], np.ones(10) / 10, mode='valid')
        ax.plot(l, label=k, ls='-' if k.startswith('fp32') else '--')
    ax.set_xlabel('step'); ax.set_ylabel('loss (smooth-L1, 10-step mean)'); ax.legend(); ax.set_title('fp32 vs bf16 autocast')
    fig.tight_layout(); fig.savefig(a.out + '.png', dpi=120)
    print(json.dumps(summary))


if __name__ == '__main__':
    main()
