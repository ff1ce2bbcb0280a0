"""Write the encoder shipped with the package: a run's target encoder as hjepa/weights/<name>/ (timm safetensors,
config.json with how it was trained, README.md model card), loadable offline as `load_pretrained('<name>')`.

    python tools/ship_weights.py cpu-hour-vh                      # runs/experiments/cpu-hour-vh/seed0/last.pt
    python tools/ship_weights.py cpu-hour-vh --seed 1 --name cifar10-cpu-hour
    python tools/ship_weights.py quickstart --checkpoint /tmp/q/last.pt --out /tmp/weights   # any checkpoint
    python tools/ship_weights.py cpu-hour-vh --push hjepa/cifar10-cpu-hour      # and publish it on the Hub

The card's k-NN comes from the experiment's row in benchmarks/results/experiments.jsonl (`python benchmarks/run.py
<experiment>` appends it after scoring); without a row it says where the number will come from. Refresh the
shipped encoder when the recipe improves: run the better experiment, then this with its name.
"""
import argparse, json, subprocess, sys
from datetime import datetime, timezone
from pathlib import Path
import torch
import yaml
from hjepa.inference import load_pretrained, HUB_FILES
from hjepa.export import export_timm, push_to_hub
from hjepa.utils import file_sha256, run_cli

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / 'benchmarks/results/experiments.jsonl'


def rel(p: Path) -> str:
    p = Path(p).resolve()
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


def find_row(results: Path, experiment: str, seed: int) -> dict | None:
    "The last scored row of (experiment, seed) in the results file, if any."
    if not results.is_file(): return None
    rows = [json.loads(l) for l in results.read_text().splitlines() if l.strip()]
    rows = [r for r in rows if r.get('experiment') == experiment and r.get('seed') == seed and r.get('scores')]
    return rows[-1] if rows else None


def commit() -> str | None:
    try: return subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError): return None


def training_facts(experiment: str, seed: int, ckpt: Path, emb, row: dict | None, results: Path, command: str | None = None) -> dict:
    "How the weights were trained, for config.json's `hjepa.training` and the model card."
    spec = (yaml.safe_load((ROOT / 'benchmarks/experiments.yaml').read_text()) or {}).get('experiments', {}).get(experiment, {})
    run_result = ckpt.parent / 'result.json'
    res = json.loads(run_result.read_text()) if run_result.is_file() else {}
    facts = {'experiment': experiment, 'seed': seed, 'preset': spec.get('preset'), 'overrides': spec.get('set'),
             'command': command or f"python benchmarks/run.py {experiment} --seeds {seed}",
             'checkpoint': rel(ckpt), 'checkpoint_sha256': file_sha256(ckpt), 'step': emb.metrics.get('step'),
             'epoch': emb.metrics.get('epoch'), 'train_seconds': (row or res).get('train_seconds'),
             'dataset': emb.config.get('data', {}).get('dataset')}
    if row:
        facts['knn'] = {f"fit {s['fit_images']}": {'level0_k20_top1': s['level0']['knn'], 'last4_k20_top1': s['last4']['knn'],
                                                    'eval_images': s['eval_images']} for s in row['scores']}
        facts['linear'] = {f"fit {s['fit_images']}": {'level0': s['level0']['linear'], 'last4': s['last4']['linear']} for s in row['scores']}
        facts['run_overrides'] = row.get('overrides')                     # as resolved by run.py (seed, --set, ...)
        facts.update(knn_source=f"{rel(results)} (the row of {experiment} seed {seed}, {row.get('date')})",
                     hardware=row.get('machine'), commit=row.get('commit'), date=row.get('date'))
    else:
        facts.update(knn=None, knn_source=f"pending: `python benchmarks/run.py {experiment} --seeds {seed}` appends the scored "
                                            f"row (k-NN k=20, linear probe) to {rel(results)}; rerun this tool then",
                     knn_end_of_training=res.get('knn_top1'),
                     hardware={k: res[k] for k in ('device', 'cpu', 'cores', 'torch_threads', 'gpu', 'torch') if k in res} or None,
                     commit=commit(), date=datetime.now(timezone.utc).isoformat(timespec='seconds'))
    return facts


def main(argv=None):
    p = argparse.ArgumentParser(prog='ship_weights', description=__doc__.split('\n\n')[0])
    p.add_argument('experiment', help='the experiment of benchmarks/experiments.yaml the run belongs to')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--checkpoint', help='default: runs/experiments/<experiment>/seed<seed>/last.pt')
    p.add_argument('--name', default='cifar10-cpu-hour', help="the name `load_pretrained` knows it by")
    p.add_argument('--out', default=str(ROOT / 'hjepa/weights'), help='folder of shipped encoders')
    p.add_argument('--results', default=str(RESULTS))
    p.add_argument('--command', help='the command that trained it, if not `python benchmarks/run.py EXPERIMENT --seeds SEED`')
    p.add_argument('--push', metavar='ORG/NAME', help='also upload it to this Hugging Face Hub repo (needs a token: huggingface-cli login)')
    p.add_argument('--debug', action='store_true', help='on an error, show the traceback instead of one line')
    a = p.parse_args(argv)
    ckpt = Path(a.checkpoint or ROOT / f'runs/experiments/{a.experiment}/seed{a.seed}/last.pt')
    emb = load_pretrained(ckpt)
    row = find_row(Path(a.results), a.experiment, a.seed)
    facts = training_facts(a.experiment, a.seed, ckpt, emb, row, Path(a.results), a.command)
    paths = export_timm(emb, Path(a.out) / a.name, training=facts, overwrite=True)
    for f in paths.values(): f.chmod(0o644)                          # package data: readable by all
    back = load_pretrained(Path(a.out) / a.name)                      # the shipped folder gives the run's embeddings
    x = torch.randint(0, 256, (4, 3, emb.img_size, emb.img_size), dtype=torch.uint8)
    diff = (back(x) - emb(x)).abs().max().item()
    if diff > 1e-5: raise RuntimeError(f"the written encoder differs from the checkpoint's by {diff:.2e}")
    n = sum(t.numel() for t in emb.net.encoder.parameters())
    size = sum(p.stat().st_size for p in paths.values())
    print(f"wrote {rel(Path(a.out) / a.name)}: {', '.join(HUB_FILES.values())}, {n:,} parameters, {size / 1e6:.2f} MB; "
          f"step {facts['step']}; k-NN {'from ' + facts['knn_source'] if row else 'pending (no scored row yet)'}")
    if a.push: print(f"pushed to {push_to_hub(emb, a.push, training=facts)}")
    return paths


if __name__ == '__main__': sys.exit(run_cli(main, 'ship_weights'))
