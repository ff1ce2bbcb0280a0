"""The trained features of one run beside its floors (the same network at its random initialisation, and raw
pixels), probes fit on 45,000 and scored on the held-out 5,000 of the CIFAR-10 training split.

    python benchmarks/floors.py runs/intel-vh-192x6

For runs whose network has no measured random-init floor yet (level_pair.py leaves floors out).
Prints the table and one JSON line of the floor rows.
"""
import json, sys, time
from pathlib import Path
import torch
from hjepa.features import load_encoder
from hjepa.train import run_data
from hjepa.evaluate import evaluate_model

if __name__ == '__main__':
    if len(sys.argv) != 2: raise SystemExit(__doc__)
    torch.set_num_threads(2)
    run = Path(sys.argv[1])
    model, cfg, info = load_encoder(run / 'last.pt')
    train, held = run_data(cfg)
    t = time.perf_counter()
    ev = evaluate_model(model, cfg, train, held, max_train=45000, floors=True)
    print(ev['table'])
    print(json.dumps({'run': str(run), 'rows': {k: v for k, v in ev['rows'].items() if 'random' in k or 'pixel' in k},
                      'seconds': round(time.perf_counter() - t)}))
