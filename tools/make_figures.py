#!/usr/bin/env python
"""Draw the README's figure with the library's own plotting: `python tools/make_figures.py` writes nbs/images/masks.png."""
import io
from pathlib import Path
import matplotlib
from PIL import Image
matplotlib.use('Agg')
from hjepa.shapes import Shapes
from hjepa.masks import Masker, draw_masks

OUT = Path(__file__).resolve().parent.parent/'nbs'/'images'/'masks.png'


def main():
    imgs = Shapes(n=3, img_size=64, seed=0).images.float() / 255     # [3, 3, 64, 64] built-in shapes, no download
    masks = Masker((16, 16), levels=3, seed=0)(3)                   # patch 4: a 16 × 16 grid, 3 levels
    fig = draw_masks(imgs, masks, (16, 16), n=3)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    fig.savefig(buf, dpi=60)
    Image.open(buf).convert('RGB').quantize(128).save(OUT, optimize=True)   # a 128-colour palette keeps it < 100 KB


if __name__ == '__main__': main()
