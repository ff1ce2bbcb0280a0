"""Train and score named experiments of benchmarks/experiments.yaml; one row per (experiment, seed) in results/experiments.jsonl.

    python benchmarks/run.py --list                              # every experiment and group
    python benchmarks/run.py cpu-hour                            # the 60-minute recipe, its seeds
    python benchmarks/run.py ablations-15min                     # a group: the 15-minute sweep, two runs at a time
    python benchmarks/run.py ablation-levels-1 --budget 4 --seeds 0 1
    python benchmarks/run.py cpu-hour --score-only               # score the finished run again (another row)
    python benchmarks/run.py quickstart --set epochs=1 --root /tmp/x --results /tmp/x/rows.jsonl --dry-run

A run is `hjepa.config.preset(preset)`, then the experiment's `set`, then `--budget` (or its group's budget),
then `--set`, then its seed, trained by `hjepa.train.train` into <root>/<name>/seed<k>/ (<name>-<B>min/ when
the budget is not the experiment's own), and scored by the library's evaluation (k-NN k=20, linear probe,
RankMe; level 0 and the last 4 blocks; floors where the experiment asks) at every fit size it names, on
the held-out split. An existing run folder is never overwritten: a scored run is skipped, an unfinished
one is left alone unless `--resume` is given, and `--score-only` scores a finished one again.
`--jobs N` runs N at a time in separate processes with one thread each (each run's output goes to its
run.log). The row records the resolved overrides, steps, epochs, seconds, img/s, the scores, the machine,
the git commit (and whether the tree was dirty) and the date.
"""
import argparse, contextlib, datetime, difflib, fcntl, json, multiprocessing, subprocess, sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import torch
import yaml
from hjepa.config import preset, override, to_dict
from hjepa.utils import parse_value, hardware, YamlLoader
from hjepa.datasets import run_data
from hjepa.checkpoint import load_model
from hjepa.learner import read_metrics
from hjepa.evaluate import evaluate
from hjepa.train import train

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / 'benchmarks/experiments.yaml'
RESULTS = ROOT / 'benchmarks/results/experiments.jsonl'


PROTOCOLS = ('knn', 'linear', 'quality')

def score(model, cfg, train_data, held, fit: int, floors: bool, probe: dict | None = None,
          protocols=PROTOCOLS) -> dict:
    "The library's evaluation at one fit size, reduced to a row's numbers: the one place that reads the report's layout."
    rep = evaluate(model, cfg, train_data, held, protocols=protocols, floors=floors, max_train=fit, last_k=4,
                   seed=cfg.run.seed, **(probe or {}))      # the run's seed: its random-init floor, the probe's split
    rows, sizes = rep['rows'], rep.get('data') or {}
    pick = lambda r: {'knn': r['knn']['k20']['top1'], 'linear': r['linear']['top1'] if 'linear' in r else None,
                      'rankme': r['quality']['rankme'] if 'quality' in r else None}
    out = {'fit_images': sizes.get('fit_images', min(fit, len(train_data))), 'eval_images': sizes.get('eval_images', len(held)),
           'level0': pick(rows['learned/level0']), 'last4': pick(rows['learned/last4']), 'probe': rep['probe']}
    if floors: out['floors'] = {k: pick(rows[k]) for k in ('random_init/level0', 'random_init/last4', 'pixels')}
    return out


def sets_dict(items: list[str]) -> dict:
    "`['lr=1e-3', 'levels=1']` as `{'lr': 0.001, 'levels': 1}`, values read by the library's `parse_value`."
    bad = [s for s in items if '=' not in s]
    if bad: raise SystemExit(f"--set needs KEY=VALUE, got {bad}")
    return {k.strip(): parse_value(v) for k, v in (s.split('=', 1) for s in items)}


def git_state() -> dict:
    "The commit the code ran at, and whether the working tree differed from it."
    git = lambda *a: subprocess.run(['git', *a], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    try: return {'commit': git('rev-parse', 'HEAD'),                 # rows appended meanwhile do not make it dirty
                 'dirty': bool(git('status', '--porcelain', '--', '.', ':!benchmarks/results'))}
    except (OSError, subprocess.CalledProcessError): return {'commit': None, 'dirty': None}


def append_row(row: dict, path: Path):
    "Append one JSON line to `path` (locked, so concurrent writers never interleave)."
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'a') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(row) + '\n')


def load_spec(path: Path = SPEC) -> dict:
    return yaml.load(Path(path).read_text(), Loader=YamlLoader)


def expand(spec: dict, names: list[str]) -> list[tuple[str, dict]]:
    "Experiment names, with each group name replaced by its experiments: `(name, group or {})`."
    out = []
    for n in names:
        if n in spec['experiments']: out.append((n, {}))
        elif n in spec.get('groups', {}): out += [(e, spec['groups'][n]) for e in spec['groups'][n]['experiments']]
        else:
            known = [*spec['experiments'], *spec.get('groups', {})]
            raise SystemExit(f"unknown experiment {n!r}; did you mean {difflib.get_close_matches(n, known, 3) or known}?")
    return out


def plan(spec: dict, names: list[str], seeds=None, budget=None, sets=None, data_dir=None, root='runs/experiments',
         jobs=None) -> list[dict]:
    "One job per (experiment, seed): its preset, the overrides in the order they apply, the scoring, the run folder."
    todo, out, seen = expand(spec, names), [], set()
    n_jobs = jobs or max([g.get('jobs', 1) for _, g in todo] + [1])  # N runs share the machine, one core each
    for name, group in todo:
        e, d = spec['experiments'][name], spec.get('defaults', {})
        sc = {**d.get('score', {}), **e.get('score', {})}
        own = preset(e['preset'], **e.get('set', {}))
        b = budget if budget is not None else group.get('budget')
        base = {**e.get('set', {}), **({'budget_minutes': float(b)} if b is not None else {}), **(sets or {})}
        folder = name if b is None or b == own.optim.budget_minutes else f"{name}-{b:g}min"
        if override(own, base).data.dataset != 'shapes' and (data_dir or d.get('data_dir')):   # --data-dir: from here;
            base['data_dir'] = str(Path(data_dir).resolve() if data_dir else (ROOT / d['data_dir']).resolve())  # spec: the repo
        if n_jobs > 1: base['threads'] = 1
        for seed in seeds if seeds is not None else e['seeds']:
            if (folder, seed) in seen: continue               # named twice (alone and in a group): run once
            seen.add((folder, seed))
            fl = sc.get('floors', False)
            out.append({'name': name, 'seed': seed, 'preset': e['preset'], 'overrides': {**base, 'seed': seed},
                        'fit': list(sc['fit']), 'floors': seed in fl if isinstance(fl, list) else bool(fl),
                        'out_dir': (ROOT / root / folder / f'seed{seed}').resolve(), 'jobs': n_jobs})
    return out


def state(out: Path) -> str:
    "'scored', 'trained' (result.json, no row yet), 'unfinished' (a folder with files) or 'new'."
    if (out / 'row.json').exists(): return 'scored'
    if (out / 'result.json').exists(): return 'trained'
    return 'unfinished' if out.exists() and any(out.iterdir()) else 'new'


def action(job: dict, resume: bool, score_only: bool) -> tuple[str | None, str]:
    "What to do with a job's run folder ('train', 'resume', 'score' or None to skip), and why."
    s, out = state(job['out_dir']), job['out_dir']
    if score_only:
        return ('score', 'scoring again') if (out / 'last.pt').exists() else (None, f"nothing to score: {out} has no last.pt")
    if s == 'new': return 'train', 'training'
    if s == 'unfinished':
        return ('resume', 'resuming') if resume else (None, f"{out} holds an unfinished run: --resume continues it, or delete it")
    if s == 'trained': return None, f"{out} is trained but not scored: --score-only scores it"
    return None, f"done already ({out}/row.json); --score-only scores it again"


def curve(out_dir: Path, train_seconds: float, points: int = 60) -> list[list[float]]:
    "Training loss (total, then per level) against seconds of training, thinned to about `points` records."
    recs = read_metrics(out_dir)
    t0 = recs[-1]['time'] - train_seconds                      # training started; the last record ends it
    levels = sorted(k for k in recs[-1] if k.startswith('loss_level'))
    return [[round(r['time'] - t0, 1), round(r['loss'], 5), *[round(r[k], 5) for k in levels]]
            for r in recs[::max(1, len(recs) // points)]]


def run_job(job: dict, mode: str, progress: bool = True) -> dict:
    "Train (or resume, or only load) one job's run, score it at every fit size; returns its row."
    out, o = job['out_dir'], job['overrides']
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    if mode == 'score':                                        # the run as it was trained: its own config
        model, cfg, info = load_model(out / 'last.pt', device=dev)
        if 'data_dir' in o: cfg = override(cfg, data_dir=o['data_dir'])
        if cfg.run.threads: torch.set_num_threads(cfg.run.threads)
        res = json.loads((out / 'result.json').read_text()) if (out / 'result.json').exists() else {'steps': info['step']}
        train_data, held = run_data(cfg)
    else:
        cfg = override(preset(job['preset']), {**o, 'out_dir': str(out)})
        if dev == 'cuda': torch.cuda.reset_peak_memory_stats()
        res = train(cfg, resume=mode == 'resume', progress=progress)
        model, train_data, held = res['learner'].model, res['train'], res['held']
    peak = round(torch.cuda.max_memory_allocated() / 2**30, 2) if dev == 'cuda' and mode != 'score' else None
    t = time.perf_counter()
    scores = [score(model, cfg, train_data, held, fit, job['floors'], job.get('probe'), job.get('protocols', PROTOCOLS))
              for fit in job['fit']]
    steps, secs = res.get('steps'), res.get('train_seconds')
    try: run_dir = str(out.relative_to(ROOT))
    except ValueError: run_dir = str(out)
    return {'experiment': job['name'], 'seed': job['seed'], 'preset': job['preset'], 'overrides': o, 'run_dir': run_dir,
            'mode': mode, 'steps': steps, 'epochs': res.get('epochs'), 'train_seconds': secs,
            'img_per_s': round(steps * cfg.optim.batch_size / secs, 1) if steps and secs else None,
            'peak_gpu_gib': peak, 'knn_end_of_training': res.get('knn_top1'), 'scores': scores,
            'score_seconds': round(time.perf_counter() - t, 1),
            'curve': curve(out, secs) if secs and (out / 'metrics.jsonl').exists() else None,
            'config': to_dict(cfg), 'machine': hardware(dev), **git_state(),
            'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}


def logged_job(job: dict, mode: str) -> dict:
    "`run_job` in a worker process, its output in the run folder's run.log."
    job['out_dir'].mkdir(parents=True, exist_ok=True)
    with open(job['out_dir'] / 'run.log', 'a') as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        return run_job(job, mode, progress=False)


def summary(row: dict) -> str:
    f = lambda v: '-' if v is None else f'{v:.1f}'
    return '; '.join(f"fit {s['fit_images']}: k-NN {f(s['level0']['knn'])}, linear {f(s['level0']['linear'])}, "
                     f"last-4 linear {f(s['last4']['linear'])}" for s in row['scores'])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('names', nargs='*', metavar='NAME', help='experiments or groups of experiments.yaml')
    p.add_argument('--seeds', nargs='+', type=int, help="instead of each experiment's seeds")
    p.add_argument('--budget', type=float, metavar='MIN', help='minutes of training per run (budget_minutes)')
    p.add_argument('--set', action='extend', nargs='+', default=[], metavar='KEY=VALUE', help='more overrides, as hjepa_train --set')
    p.add_argument('--data-dir', help="the dataset (default: experiments.yaml's data_dir, relative to the repository)")
    p.add_argument('--root', default='runs/experiments', help='where run folders go (relative to the repository)')
    p.add_argument('--jobs', type=int, help="runs at a time, one thread each (default: the group's, else 1)")
    p.add_argument('--resume', action='store_true', help='continue unfinished runs instead of skipping them')
    p.add_argument('--score-only', action='store_true', help='score finished runs again, train nothing')
    p.add_argument('--fit', nargs='+', type=int, help="probe fit sizes instead of the experiment's")
    p.add_argument('--protocols', nargs='+', choices=PROTOCOLS, help='score with these protocols only (default: all three)')
    p.add_argument('--probe', action='extend', nargs='+', default=[], metavar='KEY=VALUE',
                   help='what is probed, as hjepa.evaluate.evaluate takes it: side=target|context, final_norm=..., centre=...')
    p.add_argument('--results', default=str(RESULTS), help='the JSON-lines file rows are appended to')
    p.add_argument('--spec', default=str(SPEC))
    p.add_argument('--list', action='store_true', help='list the experiments and groups')
    p.add_argument('--dry-run', action='store_true', help='print the jobs and what would happen to each')
    a = p.parse_args(argv)
    spec = load_spec(a.spec)
    if a.list:
        for n, e in spec['experiments'].items():
            print(f"{n:28} {e['preset']:17} seeds {e['seeds']} set {json.dumps(e.get('set', {}))} score {json.dumps(e.get('score', {}))}")
        for n, g in spec.get('groups', {}).items(): print(f"group {n}: {' '.join(g['experiments'])}")
        return
    if not a.names: p.error('name at least one experiment or group (see --list)')
    jobs = plan(spec, a.names, a.seeds, a.budget, sets_dict(a.set), a.data_dir, a.root, a.jobs)
    for j in jobs:
        if a.fit: j['fit'] = a.fit
        if a.protocols: j['protocols'] = tuple(a.protocols)
        if a.probe: j['probe'] = sets_dict(a.probe)
    todo = []
    for j in jobs:
        act, why = action(j, a.resume, a.score_only)
        print(f"{j['name']} seed {j['seed']}: {why}" + (f" -> {j['out_dir']}" if act else ''), flush=True)
        if a.dry_run: print('    ', j['preset'], json.dumps(j['overrides']), 'fit', j['fit'], 'floors', j['floors'])
        if act: todo.append((j, act))
    if a.dry_run or not todo: return
    n = max(j['jobs'] for j, _ in todo)
    failed = 0
    def finish(job, row):
        append_row(row, Path(a.results))
        (job['out_dir'] / 'row.json').write_text(json.dumps(row, indent=1))
        print(f"{job['name']} seed {job['seed']}: {summary(row)}; row appended to {a.results}", flush=True)
    if n == 1:
        for j, act in todo: finish(j, run_job(j, act))
        return
    print(f"{len(todo)} runs, {n} at a time, one thread each; output in each run folder's run.log", flush=True)
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context('spawn')) as pool:
        futs = [(j, pool.submit(logged_job, j, act)) for j, act in todo]
        for j, f in futs:
            try: finish(j, f.result())
            except Exception as e:
                failed += 1
                print(f"{j['name']} seed {j['seed']}: FAILED ({type(e).__name__}: {e}); see {j['out_dir']}/run.log", flush=True)
    if failed: sys.exit(1)


if __name__ == '__main__':
    main()
