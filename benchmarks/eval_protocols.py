"""How long does each evaluation protocol take on CIFAR-10-sized cached features? One JSON line per protocol.

    python benchmarks/eval_protocols.py                  # 50k train, 10k eval, 192-d, 10 classes
    python benchmarks/eval_protocols.py --repeats 3      # the median of 3 runs of each protocol

Features are synthetic (the timings depend only on the sizes): a Gaussian mixture of 10 classes in 192
dimensions whose class means are close enough that the problem is not trivial. Timed, on the CPU with
`--threads` torch threads (default: torch's):

- `knn`: `hjepa.knn.knn_eval`, k = 20 and 200 from one chunked neighbour search, T = 0.07;
- `linear`: `hjepa.probes.linear_probe`, standardisation, the search over 6 L2 penalties on a 10% validation
  split (warm-started L-BFGS, at most 100 iterations each), the refit on all 50k, and the evaluation;
- `fewshot`: `hjepa.probes.fewshot_eval`, 600 episodes of 5-way 1-shot and 600 of 5-way 5-shot, 15 queries;
- `quality`: `hjepa.features.feature_quality` (RankMe, per-dimension std, isotropy) of the eval features.

Every line carries the load average at its start: the machine is shared, so read timings next to it.
"""
import argparse, json, os, statistics, time
import torch
from hjepa.knn import knn_eval
from hjepa.probes import linear_probe, fewshot_eval
from hjepa.features import feature_quality
from hjepa.config import hardware


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--train', type=int, default=50_000); p.add_argument('--eval', type=int, default=10_000)
    p.add_argument('--dim', type=int, default=192); p.add_argument('--classes', type=int, default=10)
    p.add_argument('--repeats', type=int, default=1); p.add_argument('--threads', type=int, default=None)
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    centres_g = torch.Generator().manual_seed(1)
    spread = 0.25                                         # overlapping classes: accuracies well below 100%
    centres = torch.randn(a.classes, a.dim, generator=centres_g) * spread
    ytr, yev = torch.randint(0, a.classes, (a.train,), generator=g), torch.randint(0, a.classes, (a.eval,), generator=g)
    xtr = centres[ytr] + torch.randn(a.train, a.dim, generator=g)
    xev = centres[yev] + torch.randn(a.eval, a.dim, generator=g)
    jobs = {'knn': lambda: knn_eval(xtr, ytr, xev, yev, ks=(20, 200)),
            'linear': lambda: {k: v for k, v in linear_probe(xtr, ytr, xev, yev).items() if k != 'val_top1'},
            'fewshot': lambda: {f'5way{k}shot': fewshot_eval(xev, yev, 5, k, episodes=600) for k in (1, 5)},
            'quality': lambda: feature_quality(xev)}
    head = {'train': a.train, 'eval': a.eval, 'dim': a.dim, 'classes': a.classes, 'threads': torch.get_num_threads(),
            **hardware()}
    for name, fn in jobs.items():
        load = os.getloadavg()[0]
        times = []
        for _ in range(a.repeats):
            t = time.perf_counter(); result = fn(); times.append(time.perf_counter() - t)
        print(json.dumps({'protocol': name, 'seconds': round(statistics.median(times), 2),
                          'all_seconds': [round(x, 2) for x in times], 'load_1min': round(load, 2), **head,
                          'result': result}, default=float), flush=True)


if __name__ == '__main__':
    main()
