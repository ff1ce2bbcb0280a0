"""Train the `cifar10-gpu` preset (ViT-Tiny/4, 2 levels, bf16) on one GPU under a time budget, then score
it with the protocol of the 60-minute CPU runs (`level_pair.py`): k-NN (k=20) and the linear probe per level
and on the last 4 blocks, fit on the 45,000 training images and scored on the fixed held-out 5,000 of the
CIFAR-10 training split, beside a random-init network of the same architecture (the pixel floor does not
depend on the network: RESULTS.md has it from the same code).

    python benchmarks/gpu_preset.py --data ../shared/data/cifar10-train-jpeg.tar.gz --run-dir /tmp/gpu-run \\
        --budget 5.5 --out benchmarks/results/gpu_preset.jsonl

The run folder keeps last.pt (about 100 MB); one JSON line goes to --out. Extra `--set KEY=VALUE` overrides
are applied after the preset (the CPU smoke test of this script uses them to shrink the network).
"""
import argparse, json, shutil, time
from pathlib import Path
import torch
from hjepa.config import preset, hardware, to_dict
from hjepa.train import train, _parse_value
from hjepa.evaluate import evaluate_model, random_init


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', required=True, help='CIFAR-10 as an ImageFolder archive or folder, or a torchvision root')
    p.add_argument('--run-dir', required=True, help='a new folder for the training run')
    p.add_argument('--budget', type=float, default=5.5, help='minutes of pre-training')
    p.add_argument('--max-epochs', type=int, default=300, help='upper bound on epochs under the budget')
    p.add_argument('--fit', type=int, default=45_000, help='probes fit on this many training images')
    p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE')
    p.add_argument('--out', required=True, help='JSON-lines file the summary is appended to')
    a = p.parse_args(argv)
    sets = dict(s.split('=', 1) for s in a.set)
    cfg = preset('cifar10-gpu', data_dir=a.data, out_dir=a.run_dir, budget_minutes=a.budget, epochs=a.max_epochs,
                 checkpoint_every=10_000, tensorboard=False, **{k: _parse_value(v) for k, v in sets.items()})
    hw = hardware('cuda' if torch.cuda.is_available() else 'cpu')
    print(json.dumps(hw), flush=True)
    if torch.cuda.is_available(): torch.cuda.reset_peak_memory_stats()
    res = train(cfg, progress=False)
    learn = res['learner']
    peak = round(torch.cuda.max_memory_allocated() / 2**30, 2) if torch.cuda.is_available() else None
    print(json.dumps({k: res[k] for k in ('steps', 'epochs', 'train_seconds', 'knn_top1')}), f"peak GiB {peak}", flush=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    for name in ('result.json', 'metrics.jsonl', 'config.yaml'):   # the run's small files, beside the summary
        shutil.copy(Path(a.run_dir) / name, Path(a.out).parent / f"gpu_run_{name}")
    t = time.perf_counter()
    ev = evaluate_model(learn.model, cfg, res['train'], res['held'], max_train=a.fit, floors=False)
    print(ev['table'], flush=True)
    rnd = evaluate_model(random_init(cfg, cfg.run.seed).to(learn.device), cfg, res['train'], res['held'], max_train=a.fit, floors=False)
    print('random init\n' + rnd['table'], flush=True)
    row = {'preset': 'cifar10-gpu', 'overrides': {'budget_minutes': a.budget, 'epochs': a.max_epochs, **sets},
           'config': to_dict(cfg), 'steps': res['steps'], 'epochs': res['epochs'], 'train_seconds': res['train_seconds'],
           'img_per_s': round(res['steps'] * cfg.optim.batch_size / res['train_seconds'], 1),
           'peak_gpu_gib': peak, 'knn_during_training': res['knn_top1'],
           'rows': ev['rows'], 'random_init_rows': rnd['rows'], 'fit_images': ev['fit_images'],
           'eval_images': ev['eval_images'], 'eval_seconds': round(time.perf_counter() - t, 1),
           'protocol': ev['protocol'], 'heldout': res['heldout'], 'hardware': hw}
    with open(a.out, 'a') as f: f.write(json.dumps(row) + '\n')


if __name__ == '__main__':
    main()
