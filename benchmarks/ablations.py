"""Run the H-JEPA ablations: every parameter set of ablations.yaml through nbs/train.ipynb with papermill.

    python benchmarks/ablations.py --data-dir ../shared/data/cifar10-train-jpeg.tar.gz            # all of them
    python benchmarks/ablations.py --data-dir DIR --only levels-1 levels-3 --seeds 0 1 --budget 15
    python benchmarks/ablations.py --dry-run                                                        # list the runs

Each run is `base` + its set + `seed`, executed as `papermill nbs/train.ipynb runs/ablations/<set>/seed<k>/
train.ipynb -y <parameters>`; the run folder then holds config.yaml, metrics.jsonl, checkpoints,
result.json, evaluation.json (k-NN and linear probe per level) and the executed notebook. A finished run
(evaluation.json present) is skipped; a folder without one is left alone and reported (delete it to rerun):
nothing is overwritten. `--jobs 2` runs two at a time (ablations.yaml gives each one thread), so all runs
of a sweep share the machine the same way; their budgets are wall-clock minutes. nbs/ablations.ipynb reads
the runs and writes benchmarks/results/ablations.jsonl.
"""
import argparse, json, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parent.parent


def plan(spec: dict, only=None, seeds=None, budget=None, data_dir=None, root='runs/ablations') -> list[dict]:
    "The runs of `spec` (ablations.yaml): name, seed, out_dir and the papermill parameters of each."
    unknown = set(only or ()) - set(spec['sets'])
    if unknown: raise SystemExit(f"unknown set(s) {sorted(unknown)}; ablations.yaml has {list(spec['sets'])}")
    runs = []
    for name, params in spec['sets'].items():
        if only and name not in only: continue
        for seed in seeds if seeds is not None else spec['seeds'].get(name, spec['seeds']['default']):
            out = (ROOT / root / name / f'seed{seed}').resolve()
            p = {**spec['base'], **params, 'seed': seed, 'out_dir': str(out), 'dataset': 'cifar10'}
            if budget is not None: p['budget_minutes'] = budget
            if data_dir is not None: p['data_dir'] = str(Path(data_dir).resolve())
            if name == 'levels-2' and seed == 0: p['floors'] = True        # the floors, once
            runs.append({'name': name, 'seed': seed, 'out_dir': out, 'params': p})
    return runs


def execute(run: dict) -> str:
    "Run one parameter set; returns a one-line status."
    out = run['out_dir']
    if (out / 'evaluation.json').exists(): return f"{run['name']} seed {run['seed']}: done already ({out})"
    if out.exists(): return f"{run['name']} seed {run['seed']}: SKIPPED, {out} holds an unfinished run; delete it to rerun"
    out.mkdir(parents=True)
    t = time.perf_counter()
    cmd = [sys.executable, '-m', 'papermill', str(ROOT / 'nbs/train.ipynb'), str(out / 'train.ipynb'),
           '-y', yaml.safe_dump(run['params']), '--cwd', str(ROOT / 'nbs'), '--no-progress-bar']
    with open(out / 'papermill.log', 'w') as log: rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
    status = 'ok' if rc == 0 else f'FAILED (exit {rc}; see {out}/papermill.log)'
    return f"{run['name']} seed {run['seed']}: {status} in {time.perf_counter() - t:.0f} s"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--spec', default=str(ROOT / 'benchmarks/ablations.yaml'))
    p.add_argument('--data-dir', help='CIFAR-10 folder or archive (torchvision root, ImageFolder tree or .tar.gz)')
    p.add_argument('--only', nargs='*', help='run only these sets')
    p.add_argument('--seeds', nargs='*', type=int, help="override every set's seeds")
    p.add_argument('--budget', type=float, help='minutes of training per run (default: the spec\'s)')
    p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--root', default='runs/ablations', help='where the run folders go (relative to the repository)')
    p.add_argument('--dry-run', action='store_true', help='print the runs and their parameters, run nothing')
    a = p.parse_args(argv)
    runs = plan(yaml.safe_load(Path(a.spec).read_text()), a.only, a.seeds, a.budget, a.data_dir, a.root)
    if a.dry_run:
        for r in runs: print(r['name'], r['seed'], json.dumps(r['params']))
        return
    if a.data_dir is None: p.error('--data-dir is needed to run (CIFAR-10)')
    print(f"{len(runs)} runs, {a.jobs} at a time", flush=True)
    with ThreadPoolExecutor(a.jobs) as pool:
        for line in pool.map(execute, runs): print(line, flush=True)


if __name__ == '__main__':
    main()
