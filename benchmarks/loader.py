"""Does the data loader keep up with training? Loader images/s next to the training step's, in one run.

    python benchmarks/loader.py --steps 3            # a quick check
    python benchmarks/loader.py                      # for the record

Loader: `hjepa.data.TensorLoader` over a uint8 dataset (Shapes by default, generated once; or `--data PATH`,
any folder or .tar.gz that `load_dataset('cifar10', PATH)` reads), batch 128, 32 px, with `Augment`: random
resized crop (scale 0.3-1), horizontal flip, and colour jitter (`--jitter`, 0 to switch it off), ImageNet
normalisation. Timed over `--loader-batches` batches after 5 warm-up batches.

Training step: the reference configuration, HJEPA('vit_tiny_patch16_224', 32, 4, levels=1, predictor_dim=96,
predictor_depth=6), batch 128, AdamW (fused), fp32, fed from the same loader; the median step time of `--steps`
steps after `--warmup` warm-up steps, not counting the time spent fetching the batch (which is reported as
`load_frac`, the share of each end-to-end step spent in the loader).

Both run with `--threads` torch threads (2 by default). Prints both rates and their ratio (the target is at
least 5: the loader must never starve the model), and ends with one JSON line. Shared machines are noisy: rerun
before trusting a number.
"""
import argparse, json, time
import torch
from hjepa.data import Augment, Shapes, TensorLoader, load_dataset
from hjepa.model import HJEPA, param_groups, train_step
from hjepa.config import hardware


def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize()


def batches(loader):
    "Batches forever, epoch after epoch."
    while True: yield from loader


def loader_rate(loader, n_batches, device, warmup=5) -> float:
    "Images/s over `n_batches` batches (after `warmup` batches)."
    it = batches(loader)
    for _ in range(warmup): next(it)
    sync(device); t0 = time.perf_counter()
    n = 0
    for _ in range(n_batches):
        x, y = next(it)
        n += len(y)
    sync(device)
    return n / (time.perf_counter() - t0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default='shapes', help="'shapes', or a CIFAR-10 folder / ImageFolder / .tar.gz")
    p.add_argument('--n', type=int, default=4096, help='Shapes images to generate')
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--img-size', type=int, default=32)
    p.add_argument('--jitter', type=float, default=0.4, help='colour jitter strength (0: crop and flip only)')
    p.add_argument('--loader-batches', type=int, default=50)
    p.add_argument('--steps', type=int, default=10, help='timed training steps')
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--device', default='cpu')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args(argv)

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    device = torch.device(a.device)
    data = Shapes(a.n, a.img_size, a.seed) if a.data == 'shapes' else load_dataset('cifar10', a.data, img_size=a.img_size)
    aug = Augment(a.img_size, jitter=a.jitter, hue=0.1 if a.jitter else 0.0)
    loader = TensorLoader(data, a.batch, transform=aug, device=device, seed=a.seed)
    load_img_s = loader_rate(loader, a.loader_batches, device)

    model = HJEPA('vit_tiny_patch16_224', a.img_size, 4, levels=1, predictor_dim=96, predictor_depth=6).to(device)
    masker = model.make_masker(seed=a.seed)
    opt = torch.optim.AdamW(param_groups(model), lr=1e-4, fused=True)
    it = batches(loader)
    load_t, step_t = [], []
    for i in range(a.warmup + a.steps):
        sync(device); t0 = time.perf_counter()
        x, _ = next(it)
        sync(device); t1 = time.perf_counter()
        train_step(model, opt, x, masker(a.batch).to(device), momentum=0.996)
        sync(device); t2 = time.perf_counter()
        if i >= a.warmup: load_t.append(t1 - t0); step_t.append(t2 - t1)
    step = sorted(step_t)[len(step_t) // 2]
    train_img_s = a.batch / step
    ratio = load_img_s / train_img_s
    print(f"loader {load_img_s:,.0f} img/s | training step {train_img_s:,.1f} img/s | ratio {ratio:,.1f}x "
          f"(target >= 5x) | loader share of end-to-end steps {sum(load_t) / (sum(load_t) + sum(step_t)):.2%}")
    res = dict(loader_img_per_s=round(load_img_s, 1), train_img_per_s=round(train_img_s, 1), ratio=round(ratio, 2),
               target_ratio=5, ok=ratio >= 5, load_frac=round(sum(load_t) / (sum(load_t) + sum(step_t)), 4),
               data=a.data, n_images=len(data), batch=a.batch, img_size=a.img_size, jitter=a.jitter,
               loader_batches=a.loader_batches, steps=a.steps, warmup=a.warmup, threads=a.threads,
               model="HJEPA('vit_tiny_patch16_224', 32, 4, levels=1, predictor_dim=96, predictor_depth=6)",
               optimizer='AdamW(fused)', dtype='fp32',
               **hardware(device))
    print(json.dumps(res))
    return res


if __name__ == '__main__':
    main()
