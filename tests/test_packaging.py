"""A pip install (Colab installs the package from its repository) must ship every subpackage."""

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_for_setuptools():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "alexnet_edu").rglob("__init__.py")}
    assert found - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"
    assert listed - found == set()


def test_the_stored_records_are_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["package-data"]["alexnet_edu.records"]
    shipped = [p for p in (ROOT / "alexnet_edu" / "records").iterdir() if p.suffix != ".py" and p.is_file()]
    assert shipped and all(any(p.match(pattern) for pattern in patterns) for p in shipped), shipped
