"""Every notebook opens in Colab: an "Open in Colab" badge under its title, and a hidden first code cell that
installs hjepa when the notebook runs there.

    python tools/colab.py check       # exit 1 naming each notebook without the badge or the install cell
    python tools/colab.py add         # insert the missing badges (one cell each, with nbcell's lock)
"""
import json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / 'nbs'
REPO = 'hjepa/hjepa'
BADGE = ('[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]'
         '(https://colab.research.google.com/github/{repo}/blob/main/nbs/{name})')
INSTALL = "if 'google.colab' in sys.modules"


def notebooks() -> list[Path]:
    "The notebooks a reader opens (nbdev skips names starting with _ or .)."
    return sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith(('_', '.')))


def problems(nb: Path) -> list[str]:
    cells = json.loads(nb.read_text())['cells']
    src = lambda c: ''.join(c['source'])
    out = []
    if not any(c['cell_type'] == 'markdown' and BADGE.format(repo=REPO, name=nb.name) in src(c) for c in cells[:3]):
        out.append('no Colab badge under the title (python tools/colab.py add)')
    code = [c for c in cells if c['cell_type'] == 'code']
    first = [c for c in code[:3] if INSTALL in src(c)]
    if not first: out.append(f"no hidden install-in-Colab cell among the first code cells ({INSTALL}: %pip install ...)")
    elif not src(first[0]).startswith('#| hide'): out.append('the install-in-Colab cell is not hidden (#| hide)')
    return out


def main(argv):
    cmd = argv[0] if argv else 'check'
    if cmd not in ('check', 'add'): sys.exit(__doc__)
    bad = 0
    for nb in notebooks():
        probs = problems(nb)
        if cmd == 'add' and any('badge' in p for p in probs):
            title = json.loads(nb.read_text())['cells'][0]
            tmp = ROOT / f'.colab-badge-{nb.stem}.md'
            tmp.write_text(BADGE.format(repo=REPO, name=nb.name) + '\n')
            try: subprocess.run(['nbcell', 'insert', str(nb), title['id'], 'markdown', str(tmp)], check=True, capture_output=True)
            finally: tmp.unlink()
            print(f"{nb.name}: badge added"); probs = problems(nb)
        for p in probs: print(f"{nb.relative_to(ROOT)}: {p}"); bad += 1
    if cmd == 'check': print(f"colab: {len(notebooks())} notebooks, {bad} problem(s)")
    return 1 if bad else 0


if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
