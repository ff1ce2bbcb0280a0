"""Score finished training runs side by side with one protocol: the 60-minute levels-2 recipe against its
levels-1 (plain I-JEPA targets) twin, and against levels-2 with 2 fine target blocks (more context).

    hjepa_train --preset cifar10-cpu-hour --set data_dir=D --set out_dir=runs/cifar10-cpu-hour
    hjepa_train --preset cifar10-cpu-hour --set levels=1 --set data_dir=D --set out_dir=runs/cifar10-cpu-hour-l1
    hjepa_train --preset cifar10-cpu-hour --set 'n_targets=[2,1]' --set data_dir=D --set out_dir=runs/cifar10-cpu-hour-ctx
    hjepa_train --preset cifar10-cpu-hour --set patch_size=2 --set data_dir=D --set out_dir=runs/cifar10-cpu-hour-p2
    python benchmarks/level_pair.py runs/cifar10-cpu-hour runs/cifar10-cpu-hour-l1 runs/cifar10-cpu-hour-ctx
    python benchmarks/level_pair.py runs/cifar10-cpu-hour-p2          # patch 2: a 16×16 grid, 4× the tokens

Each run's last.pt is rebuilt from the config inside it and scored by `evaluate_model` (k-NN k=20 and the
linear probe per level and on the last 4 blocks, plus RankMe) with the probes fit on all 45,000 training
images (and again on the fixed 10,000 the ablations use) and scored on the fixed held-out 5,000 of the
CIFAR-10 training split; floors are left out unless `--floors` is given (they
do not depend on the trained weights, so one measurement per network is enough):

    python benchmarks/level_pair.py runs/intel-vh-192x6 --fit 45000 --floors

One JSON line per run and fit size is appended to benchmarks/results/level_pair.jsonl with the run's seed, steps, training seconds, throughput and hardware.
"""
import argparse, json, time
from pathlib import Path
import torch
from hjepa.config import hardware
from hjepa.features import load_encoder
from hjepa.train import run_data
from hjepa.evaluate import evaluate_model

ROOT = Path(__file__).resolve().parent.parent


def score(run: Path, fits: list[int], threads: int | None, floors: bool = False) -> list[dict]:
    "One summary per probe fit size for a run folder: its levels, training facts and the evaluation rows."
    if not (run / 'last.pt').exists(): raise SystemExit(f"{run} has no last.pt: train it first (see the docstring)")
    if threads: torch.set_num_threads(threads)
    model, cfg, info = load_encoder(run / 'last.pt')                   # loaded once, scored per fit size
    res = json.loads((run / 'result.json').read_text())
    train, held = run_data(cfg)
    rows = []
    for fit in fits:
        t = time.perf_counter()
        ev = evaluate_model(model, cfg, train, held, max_train=fit, floors=floors)
        print(f"{run}: levels {cfg.model.levels}, {res['steps']} steps, probes fit on {ev['fit_images']}\n{ev['table']}", flush=True)
        rows.append({'run': str(run), 'levels': cfg.model.levels, 'patch_size': cfg.model.patch_size, 'n_targets': list(cfg.masking.n_targets)[:cfg.model.levels],
                     'strategy': cfg.masking.strategy, 'loss': cfg.loss.loss, 'vicreg_weight': cfg.loss.vicreg_weight,
                     'encoder': cfg.model.encoder, 'encoder_kwargs': dict(cfg.model.encoder_kwargs),
                     'budget_minutes': cfg.optim.budget_minutes, 'seed': cfg.run.seed,
                     'steps': res['steps'], 'train_seconds': res['train_seconds'],
                     'img_per_s': round(res['steps'] * cfg.optim.batch_size / res['train_seconds'], 1),
                     'checkpoint_sha256': info['sha256'], 'rows': ev['rows'], 'fit_images': ev['fit_images'],
                     'eval_images': ev['eval_images'], 'eval_seconds': round(time.perf_counter() - t, 1),
                     'protocol': ev['protocol'], 'hardware': hardware('cpu')})
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('runs', nargs='+', help='run folders (each with last.pt, result.json)')
    p.add_argument('--fit', nargs='+', type=int, default=[45000, 10000],
                   help='fit the probes on this many training images (a fixed, even subset); one row per value')
    p.add_argument('--threads', type=int)
    p.add_argument('--floors', action='store_true',
                   help='also score the random-init network and raw pixels (for a network whose floors are not yet measured)')
    p.add_argument('--out', default=str(ROOT / 'benchmarks/results/level_pair.jsonl'))
    a = p.parse_args(argv)
    for run in a.runs:
        for row in score(Path(run), a.fit, a.threads, a.floors):
            with open(a.out, 'a') as f: f.write(json.dumps(row) + '\n')


if __name__ == '__main__':
    main()
