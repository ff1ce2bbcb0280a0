"""Does dynamic INT8 keep the k-NN accuracy of fp32? Weighted k-NN (k=20, DINO's) on a held-out split, per level.

    python benchmarks/int8_knn.py --checkpoint runs/cifar/last.pt          # a trained checkpoint
    python benchmarks/int8_knn.py --random vit_tiny --config runs/cifar/last.pt  # ViT-Tiny/4, random init, same data

The data come from the checkpoint's run config via `hjepa.train.run_data`: the training images of the run
(`num_train`, a fixed random subset) as the k-NN memory, and its held-out split (a fixed 10% of the training
set, stratified by `holdout_split(seed=0)`; never trained on) as the queries. No augmentation.
`--random vit_tiny` replaces the checkpoint's encoder by a randomly initialised ViT-Tiny (width 192, depth 12,
3 heads) at the run's image and patch size, with the run's levels: a ViT-Tiny-sized network for the INT8 check
(training one on this CPU takes hours).
Backends: fp32 eager, dynamic INT8 (`quantize_int8`) and, with `--onnx`, ONNX Runtime. Prints one JSON line.
"""
import argparse, json, os, tempfile, time
from pathlib import Path
import torch
from hjepa.checkpoint import load_checkpoint
from hjepa.config import from_dict, override, make_model
from hjepa.export import load_pretrained, embedder_from_model, quantize_int8, knn_agreement, export_onnx, OnnxNet, Embedder, hardware
from hjepa.train import run_data

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--checkpoint', help='trained checkpoint: its weights and config')
    p.add_argument('--config', help='checkpoint whose config (data, sizes) to use with --random')
    p.add_argument('--random', choices=['vit_tiny'], help='random-init ViT-Tiny instead of trained weights')
    p.add_argument('--onnx', action='store_true')
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.random:
        cfg_d = load_checkpoint(a.config, restore_rng=False)['config']
        cfg = override(from_dict(cfg_d), encoder='vit_tiny_patch16_224', encoder_kwargs={})
        torch.manual_seed(0)
        emb = embedder_from_model(make_model(cfg).eval())
        source = f'random-init vit_tiny, data of {a.config}'
    else:
        emb = load_pretrained(a.checkpoint)
        cfg, source = from_dict(emb.config), a.checkpoint
    train, held = run_data(cfg)
    nets = {'fp32': emb, 'int8': quantize_int8(emb)}
    if a.onnx:
        f = export_onnx(emb, Path(tempfile.mkdtemp()) / 'm.onnx')
        nets['onnx'] = Embedder(OnnxNet(f, a.threads), emb.img_size, emb.levels, emb.embed_dim, backend='onnx')
    t = time.perf_counter()
    acc = knn_agreement(nets, train.images, train.labels, held.images, held.labels)
    print(json.dumps({'source': source, 'dataset': cfg.data.dataset, 'train_images': len(train), 'heldout_images': len(held),
                      'knn_top1': acc, 'int8_minus_fp32': {l: round(acc['int8'][l] - acc['fp32'][l], 2) for l in acc['fp32']},
                      'seconds': round(time.perf_counter() - t, 1), 'load_avg': [round(x, 2) for x in os.getloadavg()],
                      'cpu': hardware()['processor'], 'threads': a.threads, 'torch': torch.__version__}), flush=True)

if __name__ == '__main__': main()
