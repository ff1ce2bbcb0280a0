"""Does a configuration learn? k-NN of the target encoder before and after a short pre-training.

    python benchmarks/learning.py --preset cpu-small --set levels=1 --set epochs=5 --set num_train=4000

Builds the run config (a preset, then `--set key=value` overrides as in `hjepa_train`), scores the encoder
at random initialisation (same seed, so the same weights training starts from), trains into a fresh
temporary folder, and prints one JSON line: the overrides, k-NN top-1 (k = 20) per level before and after,
seconds, steps, and the loss and effective rank along the run.
"""
import argparse, json, tempfile, time
import torch
from hjepa.config import PRESETS, preset, override, make_model
from hjepa.train import train, run_data, knn_score, read_metrics, _parse_value


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--preset', default='cpu-small', choices=list(PRESETS))
    p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE')
    a = p.parse_args(argv)
    sets = dict(s.split('=', 1) for s in a.set)
    sets = {k: _parse_value(v) for k, v in sets.items()}
    cfg = override(preset(a.preset), {'out_dir': tempfile.mkdtemp(prefix='hjepa-learning-') + '/run', 'log_every': 10, **sets})
    tr, held = run_data(cfg)
    torch.manual_seed(cfg.run.seed)
    rand = make_model(cfg)
    before = {f'level{l}': round(knn_score(rand, tr, held, l), 2) for l in range(cfg.model.levels)}
    t = time.perf_counter()
    res = train(cfg, progress=False)
    m = read_metrics(cfg.run.out_dir)[::5]
    print(json.dumps({'preset': a.preset, 'set': sets, 'knn_random_init': before,
                      'knn_trained': {k: round(v, 2) for k, v in res['knn_top1'].items()},
                      'seconds': round(time.perf_counter() - t), 'steps': res['steps'], 'heldout': res['heldout'],
                      'loss': [round(r['loss'], 4) for r in m],
                      'effective_rank': [round(r['effective_rank'], 1) for r in m if 'effective_rank' in r]}), flush=True)


if __name__ == '__main__':
    main()
