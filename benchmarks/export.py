"""Inference speed of the exported encoder: eager PyTorch, TorchScript, ONNX Runtime and dynamic INT8.

    python benchmarks/export.py                         # both models, for the record
    python benchmarks/export.py --models tiny --reps 5  # a quick check

Models (random weights: speed does not depend on them), each as the `LevelEncoder` of an `HJEPA` with 2 levels
(target encoder + per-level mean pooling, normalisation inside), float input `[B, 3, S, S]`:
  tiny:  ViT-Tiny/4 at 32 px  (width 192, depth 12, 3 heads; 8×8 = 64 patches)
  small: ViT-S/16 at 224 px   (width 384, depth 12, 6 heads; 14×14 = 196 patches)
Backends: eager (`LevelEncoder` under `torch.inference_mode`), TorchScript (`export_torchscript`, loaded back),
ONNX Runtime (`export_onnx`, CPUExecutionProvider, `--threads` intra-op threads), INT8 (`quantize_int8`, eager).
Per backend: batch-1 latency (median and p95 of `--reps` calls after 3 warm-up calls) and batch-64 throughput
(images/s from the median of `--reps64` calls after 1 warm-up call). Each line also records `uptime`'s load
average, since the machine is shared. Prints one JSON line per (model, backend).
"""
import argparse, json, os, platform, statistics, tempfile, time
from pathlib import Path
import torch
from hjepa.model import HJEPA
from hjepa.export import hardware, embedder_from_model, export_torchscript, load_torchscript, export_onnx, OnnxNet, quantize_int8

MODELS = {'tiny': dict(encoder='vit_tiny_patch16_224', img_size=32, patch_size=4),
          'small': dict(encoder='vit_small_patch16_224', img_size=224, patch_size=16)}

def timings(fn, x, reps, warmup):
    with torch.inference_mode():
        for _ in range(warmup): fn(x)
        ts = []
        for _ in range(reps):
            t = time.perf_counter(); fn(x); ts.append(time.perf_counter() - t)
    return ts

def p95(ts): return sorted(ts)[min(len(ts) - 1, round(0.95 * (len(ts) - 1)))]

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--models', nargs='+', default=list(MODELS), choices=list(MODELS))
    p.add_argument('--reps', type=int, default=30, help='batch-1 calls')
    p.add_argument('--reps64', type=int, default=5, help='batch-64 calls')
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    tmp = Path(tempfile.mkdtemp())
    for name in a.models:
        torch.manual_seed(0)
        m = HJEPA(levels=2, predictor_dim=32, predictor_depth=1, **MODELS[name]).eval()
        emb = embedder_from_model(m)
        S = emb.img_size
        nets = {'eager': emb.net,
                'torchscript': load_torchscript(export_torchscript(emb, tmp / f'{name}.ts')),
                'onnxruntime': OnnxNet(export_onnx(emb, tmp / f'{name}.onnx'), threads=a.threads),
                'int8': quantize_int8(emb).net}
        x1, x64 = torch.rand(1, 3, S, S), torch.rand(64, 3, S, S)
        for backend, net in nets.items():
            t1 = timings(net, x1, a.reps, 3)
            t64 = timings(net, x64, a.reps64, 1)
            print(json.dumps({'model': name, 'img_size': S, 'backend': backend,
                              'b1_ms_median': round(1e3 * statistics.median(t1), 2), 'b1_ms_p95': round(1e3 * p95(t1), 2),
                              'b64_img_per_s': round(64 / statistics.median(t64), 1),
                              'b64_ms_median': round(1e3 * statistics.median(t64), 1),
                              'threads': a.threads, 'load_avg': [round(x, 2) for x in os.getloadavg()],
                              'cpu': hardware()['processor'], 'torch': torch.__version__}), flush=True)

if __name__ == '__main__': main()
