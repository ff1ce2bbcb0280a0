"""The linear probe, before and after, side by side in one process on the same features.

    python benchmarks/probe_speed.py --data ../shared/data/cifar10-train-jpeg.tar.gz --run runs/cifar10-cpu-hour

Three variants of `linear_probe` on each feature set (fit on the 45,000 training images of the held-out
split, scored on the held-out 5,000):

- `autograd`: the probe as it was (L-BFGS on autograd's gradient of the loss, the fixed 6-value λ grid);
  its `fit_logreg` is reproduced below as the baseline.
- `closed-form`: `hjepa.probes.fit_logreg` now (the same loss, its gradient in closed form), fixed grid.
- `closed-form + extend`: the same with the λ grid extended upwards while its strong end wins (the default).

Feature sets: raw pixels (3,072), and the trained recipe run's level-0 and last-4-blocks features.
One JSON line per (features, variant) goes to benchmarks/results/probe_speed.jsonl.
"""
import argparse, json, time
from pathlib import Path
import torch
import torch.nn.functional as F
import hjepa.probes as probes
from hjepa.config import hardware
from hjepa.features import load_encoder, extract, pixel_features
from hjepa.train import run_data

ROOT = Path(__file__).resolve().parent.parent
closed_form = probes.fit_logreg


def autograd_fit(X, y, num_classes, weight_decay=1e-4, max_iter=100, init=None):
    "The baseline: `fit_logreg` as it was before the closed-form gradient (autograd through the loss)."
    W = torch.zeros(X.shape[1], num_classes) if init is None else init[0].clone()
    b = torch.zeros(num_classes) if init is None else init[1].clone()
    W.requires_grad_(True); b.requires_grad_(True)
    opt = torch.optim.LBFGS([W, b], lr=1, max_iter=max_iter, history_size=20, tolerance_grad=1e-6,
                            tolerance_change=1e-9, line_search_fn='strong_wolfe')
    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(X @ W + b, y) + weight_decay / 2 * W.pow(2).sum()
        loss.backward()
        return loss
    threads = torch.get_num_threads()
    if X.numel() < 4_000_000: torch.set_num_threads(1)
    try:
        with torch.enable_grad(): opt.step(closure)
    finally: torch.set_num_threads(threads)
    return W.detach(), b.detach()


VARIANTS = {'autograd': (autograd_fit, 0), 'closed-form': (closed_form, 0), 'closed-form + extend': (closed_form, 3)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--run', default=str(ROOT / 'runs/cifar10-cpu-hour'), help='a finished run folder (last.pt)')
    p.add_argument('--data', help='override the run config data_dir')
    p.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument('--out', default=str(ROOT / 'benchmarks/results/probe_speed.jsonl'))
    a = p.parse_args(argv)
    model, cfg, info = load_encoder(Path(a.run) / 'last.pt')
    if a.data: cfg.data.data_dir = a.data
    train, held = run_data(cfg)
    ftr, fev = extract(model, train.images), extract(model, held.images)
    sets = {'pixels': (pixel_features(train.images), pixel_features(held.images)),
            'trained/level0': (ftr['level0'], fev['level0']), 'trained/last4': (ftr['last4'], fev['last4'])}
    for name, (xtr, xev) in sets.items():
        for v in a.variants:
            fit, extend = VARIANTS[v]
            probes.fit_logreg = fit                      # linear_probe looks the fit up in its module
            t = time.perf_counter()
            try: r = probes.linear_probe(xtr, train.labels, xev, held.labels, extend=extend)
            finally: probes.fit_logreg = closed_form
            row = {'features': name, 'dim': xtr.shape[1], 'variant': v, 'seconds': round(time.perf_counter() - t, 1),
                   'top1': round(r['top1'], 2), 'weight_decay': r['weight_decay'], 'val_top1': r['val_top1'],
                   'fit_images': len(xtr), 'eval_images': len(xev), 'run': a.run, 'hardware': hardware('cpu')}
            print(f"{name:15} {v:22} {row['seconds']:7.1f} s  top-1 {row['top1']:.2f}  λ {row['weight_decay']:g}", flush=True)
            with open(a.out, 'a') as f: f.write(json.dumps(row) + '\n')


if __name__ == '__main__':
    main()
