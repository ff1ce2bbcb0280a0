"""How fast is it on this machine? One tool: a training step, an epoch, the loader, the probes, the evaluation, exports, the server.

    python benchmarks/speed.py --what step --dtype fp32 bf16          # the recipe's step in both dtypes, and the ratio
    python benchmarks/speed.py --what step --preset vit-tiny --set levels=2 strategy=multiblock --peak
    python benchmarks/speed.py --what epoch --dtype fp32 bf16         # one real epoch each (and their loss curves)
    python benchmarks/speed.py --what loader --preset quickstart      # loader img/s beside the step fed from it
    python benchmarks/speed.py --what loader --loaders memory stream webdataset --images 1000 5000 20000 --set img_size=224
    python benchmarks/speed.py --what probe                           # the protocols on CIFAR-10-sized synthetic features
    python benchmarks/speed.py --what probe --checkpoint runs/experiments/cpu-hour/seed0/last.pt
    python benchmarks/speed.py --what eval --checkpoint runs/experiments/cpu-hour/seed0/last.pt --fit 45000
    python benchmarks/speed.py --what export --preset vit-tiny --backends eager onnxruntime int8
    python benchmarks/speed.py --what serve --preset vit-tiny --backends eager onnx

The network is `--preset` (default cifar10-cpu-hour, the 60-minute recipe) with `--set KEY=VALUE` overrides, as
`hjepa_train` takes them (`threads`, `device` and `batch_size` included); CIFAR-10 comes from experiments.yaml's
data_dir unless `--set data_dir=...` says otherwise. Each `--what` puts its figures side by side in one run:

- step:   `hjepa.model.train_step`, the trainer's step, on the model, optimiser and masker `hjepa.train.build` makes,
          one fixed augmented batch of random images (no loading): median img/s of `--steps` steps per `--dtype`,
          the ratio to the first dtype, GFLOP/img (FlopCounterMode), mask-sampling share, context tokens;
          `--peak` adds the best of 20 2048³ matmuls in that dtype, and the share of it reached.
- epoch:  `hjepa.train.train` for one epoch (`--set epochs=N` for more) per dtype, into a temporary folder: seconds
          per epoch, img/s, resident memory; the loss curves of the dtypes are compared step by step (one seed:
          the same masks and batches), which says whether bf16 changes the optimisation.
- loader: the trainer's loader (augmentation included) over `--steps` batches, then the step fed from it.
          With `--loaders memory stream webdataset --images 1000 5000 20000 --set img_size=224`: CIFAR-10 images upscaled
          to img_size and re-encoded as JPEG (and as 500-image shards) at run time; each loader in a fresh process over
          `--steps` batches: img/s with each of `--workers` (and a worker's own decode + crop in one process), the peak
          memory (the process and its largest worker) at every `--images` size, and two ranks over gloo on the shards
          (every sample once per epoch, a mid-epoch resume compared with the uninterrupted epoch).
- probe:  `hjepa.evaluate.run_protocols` (k-NN, linear probe, few-shot, feature quality) on cached features:
          synthetic ones of `--size` (a Gaussian mixture; only the sizes matter), or a checkpoint's on its run data.
- eval:   `hjepa.evaluate.evaluate` (what benchmarks/run.py scores with) on a checkpoint or a random-init network,
          probes fit on `--fit` images: seconds for features and for each protocol.
- export: batch-1 latency (median, p95 of `--steps` calls) and batch-`--batch` throughput of the target encoder in
          eager PyTorch, TorchScript, ONNX Runtime and dynamic INT8 (random weights: speed does not depend on them).
- serve:  `hjepa.serve.create_app` under uvicorn on 127.0.0.1, `--clients` keep-alive clients x `--steps` requests of
          `--batch` PNG images each: requests/s, images/s, p50/p95 latency per backend.

Each run appends one JSON line to benchmarks/results/speed.jsonl: the figures, the resolved config, the machine
(`hjepa.utils.hardware`), the git commit and the date. Shared machines are noisy: read the load average beside it.
"""
import argparse, datetime, io, json, os, resource, statistics, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import torch
from torch.utils.flop_counter import FlopCounterMode
from hjepa.config import PRESETS, preset, override, make_model, to_dict
from hjepa.utils import hardware, pick_device
from hjepa.data import ImageTensors
from hjepa.datasets import run_data
from hjepa.model import train_step
from hjepa.train import build, train
from hjepa.learner import read_metrics
from hjepa.checkpoint import load_model
from hjepa.evaluate import evaluate, run_protocols, PROTOCOLS
from hjepa.features import features
from run import ROOT, load_spec, sets_dict, git_state, append_row   # benchmarks/run.py: the experiments' runner

SPEED = ROOT / 'benchmarks/results/speed.jsonl'
AMP = {'fp32': 'none', 'bf16': 'bf16', 'fp16': 'fp16'}
DEFAULT_STEPS = {'step': 6, 'loader': 50, 'probe': 1, 'eval': 1, 'export': 30, 'serve': 25}   # epoch: --set epochs=N


def sync(device: torch.device):
    if device.type == 'cuda': torch.cuda.synchronize()


def median(xs): return statistics.median(xs)
def p95(xs): return sorted(xs)[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def matmul_peak(dtype: torch.dtype, device: torch.device, n: int = 2048, reps: int = 20) -> float:
    "GFLOP/s of an n×n×n matmul in `dtype` (best of `reps`)."
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3): a @ b
    best = float('inf')
    for _ in range(reps):
        sync(device); t = time.perf_counter(); a @ b; sync(device); best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def trainer(cfg, data: ImageTensors | None = None):
    "The trainer's own learner for `cfg` (model, optimiser, loader, masker), on `data` or on random images."
    if data is None:
        S, B = cfg.model.img_size, cfg.optim.batch_size
        g = torch.Generator().manual_seed(0)
        data = ImageTensors(torch.randint(0, 256, (2 * B, 3, S, S), dtype=torch.uint8, generator=g), torch.zeros(2 * B), ['x'])
    return build(override(cfg, out_dir=tempfile.mkdtemp(prefix='hjepa-speed-'), tensorboard=False), data, progress=False)


def images_of(batch): return batch[0] if isinstance(batch, (tuple, list)) else batch   # as the learner reads a batch


def time_step(learn, batch_fn, steps: int, warmup: int, flops: bool = True) -> dict:
    "Median step time of `train_step` on `learn`'s model and optimiser, batches from `batch_fn`, masks drawn in the loop."
    model = learn.model
    dev = next(model.parameters()).device
    def step(x, m): return train_step(model, learn.opt, x, m.to(dev, non_blocking=True), momentum=0.996,
                                      amp_dtype=learn.amp_dtype, clip_grad=learn.clip_grad)
    x = batch_fn(); B = len(x)
    r = {}
    if flops:
        with FlopCounterMode(display=False) as fc: step(x, learn.masker(B))
        r['gflop_per_img'] = round(fc.get_total_flops() / B / 1e9, 4)
    for _ in range(warmup): step(batch_fn(), learn.masker(B))
    times, load, mask_s, ctx, real = [], [], 0.0, [], []
    for _ in range(steps):
        sync(dev); t0 = time.perf_counter()
        x = batch_fn(); sync(dev); t1 = time.perf_counter()
        m = learn.masker(B); t2 = time.perf_counter()
        step(x, m); sync(dev); t3 = time.perf_counter()
        load.append(t1 - t0); mask_s += t2 - t1; times.append(t3 - t1)
        ctx.append(m.encoded_tokens(model.pad_groups)); real.append(m.context_tokens().float().mean().item())
    dt = median(times)
    r |= {'img_per_s': round(B / dt, 1), 'mean_img_per_s': round(B * len(times) / sum(times), 1), 'step_ms': round(1e3 * dt, 1),
          'batch': B, 'mask_time_frac': round(mask_s / sum(times), 4), 'encoded_tokens': round(sum(ctx) / len(ctx), 2),
          'real_tokens': round(sum(real) / len(real), 2),
          'load_frac': round(sum(load) / (sum(load) + sum(times)), 4)}
    if flops: r['achieved_gflops'] = round(r['img_per_s'] * r['gflop_per_img'], 1)
    return r


def what_step(cfg, a) -> dict:
    out = {}
    for d in a.dtype:
        learn = trainer(override(cfg, amp=AMP[d]))
        x = images_of(next(iter(learn.batches)))                 # one augmented batch, reused: no loading in the loop
        out[d] = time_step(learn, lambda: x, a.steps, a.warmup)
        if a.peak:
            dev = next(learn.model.parameters()).device
            pk = matmul_peak(learn.amp_dtype or torch.float32, dev)
            out[d] |= {'peak_gflops': round(pk, 1), 'frac_of_peak': round(out[d]['achieved_gflops'] / pk, 3)}
    return out


def rss_mib() -> float:
    return int(Path('/proc/self/statm').read_text().split()[1]) * resource.getpagesize() / 2 ** 20


def what_epoch(cfg, a) -> dict:
    out, curves = {}, {}
    for d in a.dtype:
        with tempfile.TemporaryDirectory(prefix=f'hjepa-epoch-{d}-') as tmp:   # checkpoints and all: gone afterwards
            c = override(cfg, amp=AMP[d], out_dir=tmp)
            res = train(c, progress=False)
            recs = read_metrics(tmp)
        curves[d] = {r['step']: r['loss'] for r in recs}
        tail = [r['loss'] for r in recs[-max(1, len(recs) // 4):]]
        out[d] = {'epochs': res['epochs'], 'steps': res['steps'], 'train_images': len(res['train']),
                  'seconds_per_epoch': round(res['train_seconds'] / max(res['epochs'], 1), 1),
                  'img_per_s': round(res['steps'] * c.optim.batch_size / res['train_seconds'], 1),
                  'loss_last_quarter': round(sum(tail) / len(tail), 5), 'knn_level0': round(res['knn_top1']['level0'], 2),
                  'rss_mib': round(rss_mib()), 'peak_rss_mib': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    first = a.dtype[0]
    for d in a.dtype[1:]:                                           # same seed: the same masks and batches, step by step
        common = sorted(set(curves[d]) & set(curves[first]))
        out[d][f'mean_abs_loss_diff_vs_{first}'] = round(sum(abs(curves[d][s] - curves[first][s]) for s in common) / max(len(common), 1), 5)
    return out


def what_loader(cfg, a) -> dict:
    if a.loaders != ['memory'] or a.images: return data_at_scale(cfg, a)
    learn = trainer(cfg, run_data(cfg)[0])
    dev = next(learn.model.parameters()).device
    def batches():
        while True: yield from learn.batches
    it = batches()
    for _ in range(5): next(it)
    sync(dev); t = time.perf_counter()
    n = sum(len(images_of(next(it))) for _ in range(a.steps))
    sync(dev); load = n / (time.perf_counter() - t)
    out = {'loader': {'img_per_s': round(load, 1), 'batches': a.steps, 'train_images': len(learn.batches.data)}}
    for d in a.dtype:
        ld = trainer(override(cfg, amp=AMP[d]), learn.batches.data)
        it = batches()
        out[d] = time_step(ld, lambda: images_of(next(it)), min(a.steps, 10), a.warmup, flops=False)
        out[d]['loader_over_step'] = round(load / out[d]['img_per_s'], 2)
    return out


def scale_tree(root: Path, n: int, size: int, seed: int = 0) -> Path:
    "An ImageFolder tree of `n` CIFAR-10 training images upscaled to `size` px and re-encoded as JPEG (quality 90)."
    from hjepa.sources import extract_archive, find_images, decode_images
    from hjepa.stream import write_images
    cifar = extract_archive(ROOT / load_spec()['defaults']['data_dir'])
    paths, labels, classes = find_images(cifar / 'train')
    pick = torch.randperm(len(paths), generator=torch.Generator().manual_seed(seed))[:n].sort().values
    for i in range(0, n, 1000):                                       # in chunks: memory stays small
        idx = pick[i:i + 1000]
        imgs, _ = decode_images([paths[j] for j in idx.tolist()], size)
        write_images(root, imgs, labels[idx], classes, start=i)
    return root


SHARD = 500   # samples per shard of the generated data


def _probe(kind: str, root: str, n: int, size: int, batch: int, steps: int, workers: int, q):
    "In a fresh process: `kind`'s loader over `n` of the images; img/s over `steps` batches, and the peak memory."
    torch.set_num_threads(1)                                          # one core's work, as in a DataLoader worker
    from hjepa.augment import Augment
    from hjepa.loader import TensorLoader
    from hjepa.sources import decode_images
    from hjepa.stream import ImageFiles, StreamLoader, _Batches
    from hjepa.shards import ShardSet
    t0, aug = time.perf_counter(), Augment(size)
    files = ImageFiles.from_folder(Path(root) / 'tree')
    files = files.subset(torch.randperm(len(files), generator=torch.Generator().manual_seed(0))[:n])
    if kind == 'memory':                                              # decoded at `size`, as load_imagefolder caches it
        imgs, _ = decode_images([Path(p.decode()) for p in files.paths], size, 1)
        dl = TensorLoader(ImageTensors(imgs, files.labels, files.classes), batch, aug)
    else:
        src = files if kind == 'stream' else ShardSet.open(str(Path(root) / 'shards' / f'train-{{000000..{n // SHARD - 1:06d}}}.tar'))
        dl = StreamLoader(src, batch, aug, num_workers=max(workers, 0))
    setup = time.perf_counter() - t0
    make = (lambda: _Batches(dl, 0, 0)) if workers < 0 else (lambda: dl)   # < 0: a worker's own work, in this process
    def cycle():
        while True: yield from make()
    it = cycle(); next(it)                                            # start-up and the first batch are not timed
    t = time.perf_counter()
    seen = sum(len(b[1]) for _, b in zip(range(steps), it))
    dt = time.perf_counter() - t
    kids = [int(c) for t in Path('/proc/self/task').iterdir() for c in (t / 'children').read_text().split()]
    workers = [hwm_mib(k) for k in kids]                              # while they run (ru_maxrss survives exec: not used)
    q.put({'img_per_s': round(seen / dt, 1), 'images': n, 'setup_s': round(setup, 1), 'peak_rss_mib': round(hwm_mib()),
           'peak_worker_rss_mib': round(max(workers, default=0)), 'worker_processes': len(workers)})
    it.close()


def hwm_mib(pid='self') -> float:
    "Peak resident memory of a process (VmHWM), MiB."
    line = next(l for l in Path(f'/proc/{pid}/status').read_text().splitlines() if l.startswith('VmHWM'))
    return int(line.split()[1]) / 1024


def probe(*args) -> dict:
    "`_probe` in a fresh process (spawned: its peak memory is its own)."
    import multiprocessing as mp
    ctx = mp.get_context('spawn'); q = ctx.Queue()
    p = ctx.Process(target=_probe, args=(*args, q)); p.start()
    r = q.get(); p.join()
    return r


def decoders(paths: list[Path]) -> dict:
    "ms per image, one thread: torchvision's decode_jpeg (the streaming loader's) against PIL, on the same JPEG bytes."
    import numpy as np
    from PIL import Image
    from hjepa.stream import decode_rgb
    data, r, threads = [p.read_bytes() for p in paths], {}, torch.get_num_threads()
    torch.set_num_threads(1)
    for name, f in (('torchvision_ms', decode_rgb),
                    ('pil_ms', lambda b: torch.from_numpy(np.array(Image.open(io.BytesIO(b)).convert('RGB'))))):
        f(data[0]); t = time.perf_counter()
        for b in data: f(b)
        r[name] = round(1e3 * (time.perf_counter() - t) / len(data), 3)
    from torchvision.io import encode_jpeg                          # ImageNet's typical 500 x 375, same pictures
    from hjepa.stream import random_resized_crop
    big = [encode_jpeg(torch.nn.functional.interpolate(decode_rgb(b)[None].float(), (375, 500), mode='bilinear')[0]
                       .round().clamp(0, 255).byte(), quality=90).numpy().tobytes() for b in data[:100]]
    g = torch.Generator().manual_seed(0)
    for name, d in (('decode_crop_ms', data), ('decode_crop_500x375_ms', big)):
        t = time.perf_counter()
        for b in d: random_resized_crop(decode_rgb(b), 224, generator=g)
        r[name] = round(1e3 * (time.perf_counter() - t) / len(d), 3)
    r['kib_500x375'] = round(sum(map(len, big)) / len(big) / 1024, 1)
    torch.set_num_threads(threads)
    return r | {'images': len(data)}


def data_at_scale(cfg, a) -> dict:
    "Stream and webdataset loaders beside the in-memory one at `img_size`: img/s per worker, peak memory per dataset size, 2 ranks over gloo."
    import shutil, torch.multiprocessing as mp
    from hjepa import shards
    size, sizes = cfg.model.img_size, sorted(a.images or [1000])
    if any(n % SHARD or n < 2 * SHARD for n in sizes): raise SystemExit(f"--images must be multiples of {SHARD}, at least {2 * SHARD}")
    tmp = Path(tempfile.mkdtemp(prefix='hjepa-scale-'))
    try:
        t = time.perf_counter()
        scale_tree(tmp / 'tree', sizes[-1], size)
        shards.write_shards(tmp / 'tree', tmp / 'shards', shard_size=SHARD, holdout_frac=0)
        jpeg = sum(p.stat().st_size for p in (tmp / 'tree').rglob('*.jpg'))
        out = {'data': {'images': sizes[-1], 'px': size, 'jpeg_kib_per_img': round(jpeg / sizes[-1] / 1024, 1),
                        'generate_s': round(time.perf_counter() - t, 1), 'batch': a.batch, 'steps': a.steps}}
        out['decoders'] = decoders(sorted((tmp / 'tree').rglob('*.jpg'))[:300])
        for kind in a.loaders:
            for w in ([0] if kind == 'memory' else [-1, *a.workers]):   # throughput on the smallest set
                r = probe(kind, str(tmp), sizes[0], size, a.batch, a.steps, w)
                if w > 0: r['img_per_s_per_worker'] = round(r['img_per_s'] / w, 1)
                out[kind if kind == 'memory' else f'{kind} ' + ('decode+crop, 1 core' if w < 0 else f'{w} workers')] = r
            for n in sizes[1:]:                                       # memory as the data grows
                r = probe(kind, str(tmp), n, size, a.batch, a.steps, 0 if kind == 'memory' else max(a.workers))
                out[f'{kind} @{n}'] = {k: r[k] for k in ('images', 'img_per_s', 'setup_s', 'peak_rss_mib', 'peak_worker_rss_mib')}
        if 'webdataset' in a.loaders:                                 # 2 ranks over gloo: every sample once, resume exact
            B = SHARD // 10                                           # divides a rank's samples: every one is seen
            t = time.perf_counter()
            mp.spawn(shards.check_ranks, args=(2, str(tmp / 'init'), str(tmp / 'shards' / f'train-{{000000..{sizes[0] // SHARD - 1:06d}}}.tar'),
                                               str(tmp / 'ranks.json'), B, size, 1, 3), nprocs=2, join=True)
            out['gloo 2 ranks'] = json.loads((tmp / 'ranks.json').read_text()) | {'batch': B, 'workers_per_rank': 1,
                                                                               'seconds': round(time.perf_counter() - t, 1)}
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def model_and_data(cfg, a):
    "The checkpoint's model, config and run data; or a random-init network of `cfg` and its run data."
    dev = pick_device(cfg.run.device)
    if a.checkpoint:                                                # its own config, with this machine's data and threads
        model, ck, _ = load_model(a.checkpoint, device=dev)
        keep = {k: v for k, v in sets_dict(a.set).items() if k in ('data_dir', 'threads')}
        if ck.data.dataset != 'shapes' and 'data_dir' not in keep and cfg.data.data_dir: keep['data_dir'] = cfg.data.data_dir
        cfg = override(ck, keep)
    else:
        torch.manual_seed(cfg.run.seed); model = make_model(cfg).to(dev).eval()
    return model, cfg, *run_data(cfg)


def synthetic(n_train: int, n_eval: int, dim: int, classes: int = 10):
    "Features of a Gaussian mixture whose classes overlap (the timings depend only on the sizes)."
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(classes, dim, generator=torch.Generator().manual_seed(1)) * 0.25
    ytr, yev = torch.randint(0, classes, (n_train,), generator=g), torch.randint(0, classes, (n_eval,), generator=g)
    return ({'synthetic': centres[ytr] + torch.randn(n_train, dim, generator=g)},
            {'synthetic': centres[yev] + torch.randn(n_eval, dim, generator=g)}, ytr, yev)


def what_probe(cfg, a) -> dict:
    if a.checkpoint:
        model, cfg, tr, held = model_and_data(cfg, a)
        dev = next(model.parameters()).device
        ftr = features(model, tr, device=dev) | features(None, tr); fev = features(model, held, device=dev) | features(None, held)
        ftr, fev = ({k: f[k] for k in ('level0', 'last4', 'pixels') if k in f} for f in (ftr, fev))
        ytr, yev = tr.labels, held.labels
    else: ftr, fev, ytr, yev = synthetic(*a.size)
    protos = [p for p in a.protocols if p != 'finetune']
    out = {}
    for name in ftr:
        runs = [run_protocols({name: ftr[name]}, {name: fev[name]}, ytr, yev, protos)
                for _ in range(max(a.steps, 1))]
        rows = runs[-1][0][name]
        out[name] = {'dim': ftr[name].shape[1], 'fit': len(ytr), 'eval': len(yev),
                     **{p: {'seconds': median([r[1][p] for r in runs]), 'all_seconds': [r[1][p] for r in runs]} for p in protos}}
        if 'knn' in rows: out[name]['knn']['top1'] = round(rows['knn']['k20']['top1'], 2)
        if 'linear' in rows: out[name]['linear'] |= {'top1': round(rows['linear']['top1'], 2), 'weight_decay': rows['linear'].get('weight_decay')}
    return out


def what_eval(cfg, a) -> dict:
    model, cfg, tr, held = model_and_data(cfg, a)
    t = time.perf_counter()
    rep = evaluate(model, cfg, tr, held, protocols=a.protocols, floors=a.floors, max_train=a.fit)
    return {'evaluate': {'seconds': round(time.perf_counter() - t, 1), 'timings': rep['timings'], 'protocols': list(a.protocols),
                         'floors': a.floors, 'fit': min(a.fit, len(tr)), 'eval': len(held),
                         'source': a.checkpoint or 'random init'}}


def embedder(cfg):
    from hjepa.inference import embedder_from_model
    torch.manual_seed(cfg.run.seed)
    return embedder_from_model(make_model(cfg).eval())


def backend(emb, name: str, tmp: Path, threads: int):
    "`emb` as the backend `name`: its network (export) or an Embedder (serve)."
    from hjepa.inference import Embedder, OnnxNet, load_torchscript, quantize_int8
    from hjepa.export import export_torchscript, export_onnx
    if name == 'eager': return emb
    if name == 'int8': return quantize_int8(emb)
    if name == 'torchscript':
        return Embedder(load_torchscript(export_torchscript(emb, tmp / 'm.ts')), emb.img_size, emb.levels, emb.embed_dim, backend='torchscript')
    if name in ('onnx', 'onnxruntime'):
        return Embedder(OnnxNet(export_onnx(emb, tmp / 'm.onnx'), threads), emb.img_size, emb.levels, emb.embed_dim, backend='onnx')
    raise SystemExit(f"unknown backend {name!r}: eager, torchscript, onnxruntime (onnx), int8")


def what_export(cfg, a) -> dict:
    emb, tmp, threads = embedder(cfg), Path(tempfile.mkdtemp(prefix='hjepa-export-')), torch.get_num_threads()
    S, out = emb.img_size, {}
    def calls(net, x, reps, warmup):
        with torch.inference_mode():
            for _ in range(warmup): net(x)
            ts = []
            for _ in range(reps): t = time.perf_counter(); net(x); ts.append(time.perf_counter() - t)
        return ts
    for b in a.backends:
        net = backend(emb, b, tmp, threads).net
        t1 = calls(net, torch.rand(1, 3, S, S), a.steps, 3)
        tb = calls(net, torch.rand(a.batch, 3, S, S), max(a.steps // 6, 2), 1)
        out[b] = {'b1_ms_median': round(1e3 * median(t1), 2), 'b1_ms_p95': round(1e3 * p95(t1), 2),
                  f'b{a.batch}_img_per_s': round(a.batch / median(tb), 1), f'b{a.batch}_ms_median': round(1e3 * median(tb), 1),
                  'img_size': S, 'threads': threads}
    return out


def png(size: int, seed: int) -> bytes:
    import numpy as np
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)).save(buf, format='PNG')
    return buf.getvalue()


def what_serve(cfg, a) -> dict:
    import httpx
    from hjepa.serve import create_app, running_server
    emb, tmp, out = embedder(cfg), Path(tempfile.mkdtemp(prefix='hjepa-serve-')), {}
    pics = [png(emb.img_size, i) for i in range(a.batch)]
    def request(c):
        if a.batch == 1: r = c.post('/embed', content=pics[0], headers={'content-type': 'image/png'})
        else: r = c.post('/embed', files=[('file', (f'{i}.png', b, 'image/png')) for i, b in enumerate(pics)])
        r.raise_for_status()
    for b in a.backends:
        start = threading.Barrier(a.clients + 1)
        def client(url):
            with httpx.Client(base_url=url, timeout=120) as c:
                for _ in range(3): request(c)
                start.wait(); lat = []
                for _ in range(a.steps): t = time.perf_counter(); request(c); lat.append(time.perf_counter() - t)
                return lat
        with running_server(create_app(backend(emb, b, tmp, torch.get_num_threads()))) as url, ThreadPoolExecutor(a.clients) as pool:
            futs = [pool.submit(client, url) for _ in range(a.clients)]
            start.wait(); t0 = time.perf_counter()
            lat = sorted(x for f in futs for x in f.result())
            wall = time.perf_counter() - t0
        out[b] = {'clients': a.clients, 'requests': len(lat), 'images_per_request': a.batch,
                  'req_per_s': round(len(lat) / wall, 1), 'img_per_s': round(len(lat) * a.batch / wall, 1),
                  'p50_ms': round(1e3 * lat[len(lat) // 2], 1), 'p95_ms': round(1e3 * p95(lat), 1)}
    return out


WHAT = {'step': what_step, 'epoch': what_epoch, 'loader': what_loader, 'probe': what_probe, 'eval': what_eval,
        'export': what_export, 'serve': what_serve}
RATIO = {'step': 'img_per_s', 'epoch': 'img_per_s', 'export': 'b1_ms_median', 'serve': 'req_per_s'}


def show(what: str, figures: dict):
    "The figures side by side, one line each, and each against the first where that is one number."
    first, key = next(iter(figures)), RATIO.get(what)
    for name, f in figures.items():
        cells = ', '.join(f"{k} {v}" for k, v in f.items() if not isinstance(v, (dict, list)))
        print(f"{name:12} {cells}")
        for k, v in f.items():
            if isinstance(v, dict): print(f"{'':12}   {k}: {json.dumps(v)}")
    if key:
        base = [(n, f[key]) for n, f in figures.items() if key in f]
        if len(base) > 1:
            print(', '.join(f"{n} / {base[0][0]}: {v / base[0][1]:.2f}" for n, v in base[1:]) + f"  ({key})")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--what', required=True, choices=list(WHAT))
    p.add_argument('--preset', default='cifar10-cpu-hour', choices=list(PRESETS))
    p.add_argument('--set', action='extend', nargs='+', default=[], metavar='KEY=VALUE', help='overrides, as hjepa_train --set')
    p.add_argument('--steps', type=int, help=f'timed repetitions (steps, batches, calls, requests per client); defaults {DEFAULT_STEPS}')
    p.add_argument('--warmup', type=int, default=2, help='untimed steps first (step, loader)')
    p.add_argument('--dtype', nargs='+', default=['fp32'], choices=list(AMP), help='step, epoch, loader: side by side')
    p.add_argument('--peak', action='store_true', help='step: also the matmul peak of the machine in each dtype')
    p.add_argument('--checkpoint', help='probe, eval: a run\'s last.pt (default: synthetic features / a random-init network)')
    p.add_argument('--size', nargs=3, type=int, default=[50_000, 10_000, 192], metavar=('TRAIN', 'EVAL', 'DIM'),
                   help='probe: synthetic feature sizes')
    p.add_argument('--protocols', nargs='+', default=['knn', 'linear', 'fewshot', 'quality'], choices=PROTOCOLS)
    p.add_argument('--fit', type=int, default=45_000, help='eval: probes fit on this many training images')
    p.add_argument('--floors', action='store_true', help='eval: also random init and raw pixels')
    p.add_argument('--backends', nargs='+', default=['eager', 'torchscript', 'onnxruntime', 'int8'], help='export, serve')
    p.add_argument('--batch', type=int, help='export: the large batch (64); serve: images per request (1)')
    p.add_argument('--clients', type=int, default=4, help='serve: concurrent clients')
    p.add_argument('--loaders', nargs='+', default=['memory'], choices=['memory', 'stream', 'webdataset'],
                   help='loader: side by side on generated CIFAR-10 JPEGs at img_size (default: the run\'s in-memory loader and step)')
    p.add_argument('--images', nargs='+', type=int, help='loader: dataset sizes for the memory sweep (multiples of 500)')
    p.add_argument('--workers', nargs='+', type=int, default=[1, 2], help='loader: worker processes (stream, webdataset)')
    p.add_argument('--out', default=str(SPEED), help='the JSON-lines file the figures are appended to')
    a = p.parse_args(argv)
    a.steps = a.steps if a.steps is not None else DEFAULT_STEPS.get(a.what)
    a.batch = a.batch or (1 if a.what == 'serve' else 64)
    if a.what == 'serve' and a.backends == p.get_default('backends'): a.backends = ['eager']
    if a.what == 'probe': a.protocols = [x for x in a.protocols if x != 'finetune']
    sets = sets_dict(a.set)
    defaults = {'epochs': 1, 'warmup_epochs': 0, 'budget_minutes': None} if a.what == 'epoch' else {}
    cfg = override(preset(a.preset), {**defaults, **sets})
    data_dir = load_spec()['defaults'].get('data_dir')
    if cfg.data.dataset != 'shapes' and not cfg.data.data_dir and data_dir:
        cfg = override(cfg, data_dir=str((ROOT / data_dir).resolve()))
    if cfg.run.threads: torch.set_num_threads(cfg.run.threads)
    hw = hardware(pick_device(cfg.run.device))
    print(f"{a.what}: {a.preset} {json.dumps(sets)} on {hw['cpu']} ({hw['torch_threads']} threads"
          f"{', ' + hw['gpu'] if hw['gpu'] else ''}), load {hw['load_avg']}", flush=True)
    figures = WHAT[a.what](cfg, a)
    show(a.what, figures)
    row = {'what': a.what, 'preset': a.preset, 'set': sets, 'options': {k: v for k, v in vars(a).items()
           if k not in ('what', 'preset', 'set', 'out')}, 'figures': figures, 'config': to_dict(cfg),
           'hardware': hardware(pick_device(cfg.run.device)), **git_state(),
           'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}
    append_row(row, Path(a.out))
    print(f"appended to {a.out}")
    return row


if __name__ == '__main__':
    main()
