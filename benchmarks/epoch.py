"""Wall-clock per epoch and peak memory of a real training run (data, augmentation, masks, step, EMA,
logging and checkpoints — everything `hjepa.train.train` does), on CIFAR-10 by default.

    python benchmarks/epoch.py --data-dir ../shared/data/cifar10-train-jpeg.tar.gz            # reference CPU config
    python benchmarks/epoch.py --data-dir DIR --device cuda --amp bf16 --compile               # on a GPU
    python benchmarks/epoch.py --data-dir DIR --device cuda --amp bf16 --encoder vit_base_patch16_224 \\
        --img-size 224 --patch-size 16 --predictor-dim 384 --batch-size 128

The reference CPU config is the library default: ViT-Tiny (192 wide, 12 deep), 32 px, patch 4, predictor
96 × 6, batch 128, 1 level, fp32. The run goes to a fresh temporary folder (nothing of yours is touched)
and the k-NN evaluation at the end is not timed. Prints one JSON line: images per epoch, steps, seconds per
epoch, img/s, resident memory after the data is loaded and the process's peak resident memory (CPU), and
the peak allocated CUDA memory on a GPU.
"""
import argparse, json, resource, tempfile, time
from pathlib import Path
import torch
from hjepa.config import RunConfig, override, hardware
from hjepa.train import train, run_data


def rss_mib() -> float:
    "Current resident memory of this process (Linux), MiB."
    pages = int(Path('/proc/self/statm').read_text().split()[1])
    return pages * resource.getpagesize() / 2 ** 20


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset', default='cifar10')
    p.add_argument('--data-dir', default=None)
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--num-train', type=int, default=None, help='a fixed random subset of the training split')
    p.add_argument('--encoder', default='vit_tiny_patch16_224')
    p.add_argument('--img-size', type=int, default=32)
    p.add_argument('--patch-size', type=int, default=4)
    p.add_argument('--predictor-dim', type=int, default=96)
    p.add_argument('--predictor-depth', type=int, default=6)
    p.add_argument('--levels', type=int, default=1)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--amp', default='none', choices=['none', 'bf16', 'fp16'])
    p.add_argument('--compile', action='store_true')
    p.add_argument('--device', default='auto')
    p.add_argument('--threads', type=int, default=None)
    a = p.parse_args(argv)

    out = tempfile.mkdtemp(prefix='hjepa-epoch-')
    cfg = override(RunConfig(), dataset=a.dataset, data_dir=a.data_dir, num_train=a.num_train, epochs=a.epochs,
                   warmup_epochs=0, encoder=a.encoder, img_size=a.img_size, patch_size=a.patch_size,
                   predictor_dim=a.predictor_dim, predictor_depth=a.predictor_depth, levels=a.levels,
                   batch_size=a.batch_size, amp=a.amp, compile=a.compile, device=a.device, threads=a.threads,
                   out_dir=out, log_every=50, tensorboard=False)
    t = time.perf_counter()
    tr, held = run_data(cfg)                      # decodes (or reads the cache) once; train() reads the cache again
    load_s = time.perf_counter() - t
    rss_data = rss_mib()
    if torch.cuda.is_available(): torch.cuda.reset_peak_memory_stats()
    res = train(cfg, progress=False)
    steps, imgs = res['steps'], res['steps'] * a.batch_size
    rec = {'dataset': a.dataset, 'train_images': len(tr), 'epochs': a.epochs, 'steps': steps,
           'encoder': a.encoder, 'img_size': a.img_size, 'patch_size': a.patch_size, 'levels': a.levels,
           'batch_size': a.batch_size, 'amp': a.amp, 'compile': a.compile,
           'seconds_per_epoch': round(res['train_seconds'] / a.epochs, 1), 'img_per_s': round(imgs / res['train_seconds'], 1),
           'data_load_s': round(load_s, 1), 'rss_after_data_mib': round(rss_data),
           'peak_rss_mib': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
           'knn_top1_level0': round(res['knn_top1']['level0'], 2), 'threads': torch.get_num_threads(),
           **hardware(res['device']), 'out_dir': out}
    if torch.cuda.is_available(): rec['peak_cuda_alloc_mib'] = round(torch.cuda.max_memory_allocated() / 2 ** 20)
    print(json.dumps(rec), flush=True)


if __name__ == '__main__':
    main()
