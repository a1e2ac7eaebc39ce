"""Every chapter's Colab install line, made from one place: ``repository`` in ``_config.yml``.

A chapter opened alone in Colab cannot read ``_config.yml``, so its first cell holds the line itself:
``%pip install "alexnet-edu @ git+URL@BRANCH"``, the repository and the branch the book was built
from (the branch that the book's Colab buttons open the chapters from). After a fork changes
``repository.url`` or ``repository.branch``:

    python tests/chapter_setup.py --write     # rewrite the line in every chapter
    python tests/chapter_setup.py             # check only (tests/test_book.py does the same)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(r'^    %pip install --quiet "alexnet-edu @ git\+[^"]*"$', flags=re.M)


def install_line(config: dict | None = None) -> str:
    """The install line, from ``_config.yml``'s repository URL and branch."""
    repository = (config or yaml.safe_load((ROOT / "_config.yml").read_text()))["repository"]
    return f'    %pip install --quiet "alexnet-edu @ git+{repository["url"]}@{repository["branch"]}"'


def stale(write: bool = False) -> list[str]:
    """The chapters whose install line differs from :func:`install_line` (rewritten when ``write``)."""
    import nbformat

    wanted, found = install_line(), []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        setup = next(c for c in nb.cells if c.cell_type == "code")
        if len(LINE.findall(setup.source)) != 1:
            raise SystemExit(f"{path.name}: its first code cell has no single Colab install line")
        if LINE.search(setup.source).group(0) != wanted:
            found.append(path.name)
            if write:
                setup.source = LINE.sub(wanted.replace("\\", "\\\\"), setup.source)
                nbformat.write(nb, path)
    return found


if __name__ == "__main__":
    changed = stale(write="--write" in sys.argv[1:])
    if changed and "--write" not in sys.argv[1:]:
        print(f"these chapters do not install {install_line().strip()}:\n  " + "\n  ".join(changed)
              + "\nrun: python tests/chapter_setup.py --write")
        sys.exit(1)
    print(f"{len(changed)} chapter(s) rewritten" if changed else "every chapter installs " + install_line().strip())
