"""The page *Running this book* (book/54_running.md): made from the package, never typed, and every
command it shows is one the package, the Makefile or the repository really has."""

import json
import re
import shlex
from pathlib import Path

import pytest

from alexnet_edu import data
from alexnet_edu.cli import build_parser, main
from alexnet_edu.records import load
from alexnet_edu.running import RUNNING_COMMAND, RUNNING_PAGE, running_page
from alexnet_edu.runtime import CHAPTER_DATA, DATASET_NAMES, duration

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / RUNNING_PAGE


def _code_lines(page: str) -> list[str]:
    """The command lines of the page's ```bash blocks, without their comments."""
    blocks = re.findall(r"```bash\n(.*?)```", page, re.S)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_running_page_is_fresh():
    assert PAGE.read_text() == running_page(ROOT), (
        f"{RUNNING_PAGE} is stale: the chapters' data, the archives or the chapter_times record changed. "
        f"Run: {RUNNING_COMMAND}")


def test_every_chapter_has_a_row_with_its_data_and_its_measured_times():
    page = running_page(ROOT)
    measured = load("chapter_times")["chapters"]
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in page.splitlines() if line.startswith("| {doc}`")}
    assert set(rows) == {f"{{doc}}`{chapter}`" for chapter in CHAPTER_DATA}
    assert {p.stem for p in (ROOT / "book").glob("*.ipynb")} <= set(CHAPTER_DATA)
    for chapter, names in CHAPTER_DATA.items():
        reads, quick, full = rows[f"{{doc}}`{chapter}`"][:3]
        assert reads == (", ".join(DATASET_NAMES[n] for n in names) or "none")
        assert quick == duration(measured[chapter]["quick_cpu_s"])
        assert full == duration(measured[chapter]["full_cpu_s"])
    assert load("chapter_times")["cpu"] in page
    for name in DATASET_NAMES:
        assert data.archive_for(name).filename in page and data.archive_for(name).size_text in page


def test_gpu_times_appear_only_once_a_record_has_them(tmp_path):
    page = running_page(ROOT)
    record = load("chapter_times")
    if not any("quick_gpu_s" in c or "full_gpu_s" in c for c in record["chapters"].values()):
        assert "No chapter has been timed on a GPU" in page and "mode, GPU |" not in page
    record["chapters"]["23_lrn"]["quick_gpu_s"] = 4.0
    record["gpu"] = "NVIDIA Example GPU"
    (tmp_path / "chapter_times.json").write_text(json.dumps(record))
    with_gpu = running_page(ROOT, folder=str(tmp_path))
    assert "| Quick mode, GPU |" in with_gpu and "NVIDIA Example GPU" in with_gpu
    assert "No chapter has been timed on a GPU" not in with_gpu
    row = next(line for line in with_gpu.splitlines() if line.startswith("| {doc}`23_lrn`"))
    assert row.rstrip(" |").endswith("4 s")


def test_every_command_on_the_page_exists():
    page = PAGE.read_text()
    lines = _code_lines(page)
    lines += re.findall(r"`(python -m alexnet_edu [^`]+|python benchmarks/[^`]+)`", page)
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))
    parser = build_parser()
    checked = 0
    for line in lines:
        words = shlex.split(line)
        if words[0] == "make":
            assert words[1] in targets, line
        elif words[:3] == ["python", "-m", "alexnet_edu"]:
            parser.parse_args(words[3:])  # SystemExit on an unknown command or option
        elif words[0] == "torchrun":
            parser.parse_args(words[words.index("alexnet_edu") + 1:])
        elif words[0] == "python" and words[1].startswith("benchmarks/"):
            script = (ROOT / words[1]).read_text()
            assert all(f'"{w}"' in script for w in words[2:] if w.startswith("--")), line
        else:
            pytest.fail(f"unchecked command on the page: {line}")
        checked += 1
    assert checked >= 10


def test_every_chapter_the_prose_mentions_is_a_link():
    prose = re.sub(r"```.*?```|\{doc\}`[^`]*`|`[^`]*`", "", PAGE.read_text(), flags=re.S)
    assert not re.findall(r"\b[Cc]hapters?\s+\d\d\b", prose)


def test_the_page_is_in_the_book():
    assert "file: book/54_running" in (ROOT / "_toc.yml").read_text()


def test_the_command_writes_the_page(tmp_path, capsys):
    out = tmp_path / "running.md"
    assert main(["running-page", "--out", str(out), "--root", str(ROOT)]) == 0
    assert out.read_text() == running_page(ROOT)
    assert main(["running-page", "--root", str(ROOT)]) == 0
    assert capsys.readouterr().out.endswith(running_page(ROOT))
