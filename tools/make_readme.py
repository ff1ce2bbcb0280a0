#!/usr/bin/env python
"""Render README.md from nbs/index.ipynb without Quarto.

`nbdev_readme` needs Quarto, which is not available everywhere, so README.md is
made by this script instead and .ci/run checks it is up to date:

    python tools/make_readme.py           # rewrite README.md
    python tools/make_readme.py --check   # exit 1 if README.md is stale

Rules: markdown cells are copied as they are; code cells become ```python
blocks with their `#| ...` directive lines removed, and their text outputs (if
any; not stderr, where warnings go) follow in plain ``` blocks. Cells with `#| hide` are skipped, `#| echo:
false` drops a cell's source and `#| output: false` its outputs. Relative links
to notebooks and images (`00_masks.ipynb`, `images/masks.png`) are pointed into `nbs/` so they work
on GitHub as well as in the notebook and on the docs site.
"""
import argparse, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NB, README = ROOT/'nbs'/'index.ipynb', ROOT/'README.md'
HEADER = '<!-- Generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file. -->\n'

_directive = re.compile(r'^\s*#\s*\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
_nb_link = re.compile(r'\]\((?!\w+://|/|#|\.\./)([^)\s]+\.(?:ipynb|png|jpg|svg)(?:#[^)\s]*)?)\)')


def _src(cell):
    s = cell.get('source', '')
    return ''.join(s) if isinstance(s, list) else s


def _directives(src):
    "Leading `#| key: value` lines as a dict, and the remaining source."
    lines, d = src.splitlines(), {}
    while lines and _directive.match(lines[0]):
        k, v = _directive.match(lines[0]).groups()
        d[k] = v.lower()
        lines.pop(0)
    return d, '\n'.join(lines).strip('\n')


def _outputs(cell):
    res = []
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream' and o.get('name') == 'stderr': continue   # warnings are not README text
        if o.get('output_type') == 'stream': txt = o.get('text', '')
        else: txt = o.get('data', {}).get('text/plain', '')
        txt = ''.join(txt) if isinstance(txt, list) else txt
        if txt.strip(): res.append(f'```\n{txt.rstrip()}\n```')
    return res


def render(nb_path=NB):
    nb = json.loads(Path(nb_path).read_text(encoding='utf-8'))
    parts = []
    for cell in nb['cells']:
        src = _src(cell)
        if cell['cell_type'] == 'markdown':
            if src.strip(): parts.append(_nb_link.sub(r'](nbs/\1)', src.strip('\n')))
        elif cell['cell_type'] == 'code':
            d, body = _directives(src)
            if 'hide' in d: continue
            if body and d.get('echo') != 'false': parts.append(f'```python\n{body}\n```')
            if d.get('output') != 'false': parts += _outputs(cell)
    return HEADER + '\n' + '\n\n'.join(parts) + '\n'


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--check', action='store_true', help='only check README.md is up to date')
    args = p.parse_args()
    txt = render()
    if args.check:
        if README.exists() and README.read_text(encoding='utf-8') == txt: return
        sys.exit('README.md is out of date: run `python tools/make_readme.py` and commit it')
    README.write_text(txt, encoding='utf-8')


if __name__ == '__main__': main()
