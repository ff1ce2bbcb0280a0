"""Throughput and latency of `hjepa_serve`'s app under a bounded loopback load.

    python benchmarks/serve.py                      # for the record
    python benchmarks/serve.py --requests 10        # a quick check

The app (`hjepa.serve.create_app`) serves ViT-Tiny/4 at 32 px (random weights, 2 levels) with the backend named
by `--backend` (eager, onnx or int8), under uvicorn in a background thread on 127.0.0.1 (`running_server`).
`--clients` client threads (each its own `httpx.Client`, keep-alive) each send `--requests` POST /embed requests
back to back, after `--warmup` requests per client that are not counted. Each request carries `--images` PNG
images of `--size` px (one raw `image/png` body, or a multipart batch when `--images` > 1). Reports requests/s and
images/s over the whole timed load, and p50/p95 of the per-request latency, plus `uptime`'s load average.
The server and the clients share the same 2 cores.
"""
import argparse, io, json, os, platform, statistics, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import httpx, numpy as np, torch
from PIL import Image
from hjepa.model import HJEPA
from hjepa.export import hardware, embedder_from_model, quantize_int8, export_onnx, OnnxNet, Embedder
from hjepa.serve import create_app, running_server

def png(size, seed):
    a = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    buf = io.BytesIO(); Image.fromarray(a).save(buf, format='PNG'); return buf.getvalue()

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--backend', default='eager', choices=['eager', 'onnx', 'int8'])
    p.add_argument('--clients', type=int, default=4)
    p.add_argument('--requests', type=int, default=50, help='timed requests per client')
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--images', type=int, default=1, help='images per request')
    p.add_argument('--size', type=int, default=32, help='image side in pixels')
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    emb = embedder_from_model(HJEPA('vit_tiny_patch16_224', 32, 4, levels=2, predictor_dim=32, predictor_depth=1).eval())
    if a.backend == 'int8': emb = quantize_int8(emb)
    if a.backend == 'onnx':
        f = export_onnx(emb, Path(tempfile.mkdtemp()) / 'tiny.onnx')
        emb = Embedder(OnnxNet(f, a.threads), emb.img_size, emb.levels, emb.embed_dim, backend='onnx')
    pics = [png(a.size, i) for i in range(a.images)]
    def request(client):
        if a.images == 1: r = client.post('/embed', content=pics[0], headers={'content-type': 'image/png'})
        else: r = client.post('/embed', files=[('file', (f'{i}.png', b, 'image/png')) for i, b in enumerate(pics)])
        r.raise_for_status()
    start = threading.Barrier(a.clients + 1)
    def client_run(url):
        with httpx.Client(base_url=url, timeout=120) as c:
            for _ in range(a.warmup): request(c)
            start.wait()
            lat = []
            for _ in range(a.requests):
                t = time.perf_counter(); request(c); lat.append(time.perf_counter() - t)
            return lat
    with running_server(create_app(emb)) as url, ThreadPoolExecutor(a.clients) as pool:
        futs = [pool.submit(client_run, url) for _ in range(a.clients)]
        start.wait(); t0 = time.perf_counter()
        lats = [x for f in futs for x in f.result()]
        wall = time.perf_counter() - t0
    lats.sort()
    n = len(lats)
    print(json.dumps({'backend': a.backend, 'clients': a.clients, 'requests': n, 'images_per_request': a.images,
                      'image_px': a.size, 'req_per_s': round(n / wall, 1), 'img_per_s': round(n * a.images / wall, 1),
                      'p50_ms': round(1e3 * lats[n // 2], 1), 'p95_ms': round(1e3 * lats[min(n - 1, round(0.95 * (n - 1)))], 1),
                      'wall_s': round(wall, 1), 'threads': a.threads, 'load_avg': [round(x, 2) for x in os.getloadavg()],
                      'cpu': hardware()['processor'], 'torch': torch.__version__}), flush=True)

if __name__ == '__main__': main()
