"""The book's own rules: every chapter listed, committed executed, installable in Colab, with exercises."""

import json
import re
from pathlib import Path

import pytest
import yaml

from alexnet_edu.runtime import CHAPTER_DATA
from chapter_setup import install_line, stale

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def _toc_files() -> list[str]:
    files = [TOC["root"]]
    for part in TOC["parts"]:
        for chapter in part["chapters"]:
            files.append(chapter["file"])
            files.extend(section["file"] for section in chapter.get("sections", []))
    return files


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def test_every_toc_entry_exists_and_every_chapter_is_listed():
    listed = _toc_files()
    for entry in listed:
        assert any((ROOT / f"{entry}{ext}").is_file() for ext in (".md", ".ipynb")), entry
    for chapter in CHAPTERS:
        assert str(chapter.relative_to(ROOT).with_suffix("")) in listed, f"{chapter.name} is not in _toc.yml"


def test_there_is_at_least_one_chapter():
    assert CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_chapter_is_committed_executed_top_to_bottom_without_errors(chapter):
    nb = json.loads(chapter.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and _source(c).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "re-run the chapter top to bottom in a fresh kernel"
    for cell in code:
        assert all(o["output_type"] != "error" for o in cell["outputs"]), _source(cell)[:80]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_chapter_sets_itself_up_alone_installing_the_configured_version_in_colab(chapter):
    setup = next(c for c in _cells(chapter) if c["cell_type"] == "code")
    source = _source(setup)
    assert '"google.colab" in sys.modules' in source
    assert install_line(CONFIG) in source.splitlines(), "run: python tests/chapter_setup.py --write"
    assert f'QUICK = start_chapter("{chapter.stem}")' in source  # seeds, mode, data, costs
    assert chapter.stem in CHAPTER_DATA
    assert "nbval-ignore-output" in setup["metadata"].get("tags", [])  # it prints the mode and the data found


def test_the_install_lines_follow_the_configuration():
    assert stale() == []
    assert install_line({"repository": {"url": "https://github.com/me/fork", "branch": "v2"}}) == \
        '    %pip install --quiet "alexnet-edu @ git+https://github.com/me/fork@v2"'


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_exercises_with_hidden_solutions_and_a_package_checker(chapter):
    cells = _cells(chapter)
    markdown = "\n".join(_source(c) for c in cells if c["cell_type"] == "markdown")
    code = "\n".join(_source(c) for c in cells if c["cell_type"] == "code")
    assert markdown.count("{exercise-start}") >= 3
    assert markdown.count("{exercise-start}") == markdown.count("{exercise-end}")
    solutions = re.findall(r"\{solution-start\}[^\n]*\n(?::[^\n]*\n)*", markdown)
    assert solutions and all(":class: dropdown" in s for s in solutions)
    assert re.search(r"from alexnet_edu\.exercises import|alexnet_edu\.exercises\.", code)


def test_readme_names_the_configured_repository():
    urls = set(re.findall(r"git\+(https://[^\s\"'@]+)", (ROOT / "README.md").read_text()))
    assert urls == {CONFIG["repository"]["url"]}


def test_every_citation_is_in_the_bibliography():
    keys = set(re.findall(r"@\w+\{([^,]+),", (ROOT / "references.bib").read_text()))
    texts = [p.read_text() for p in (ROOT / "book").glob("*.md")]
    texts += ["\n".join(_source(c) for c in _cells(p)) for p in CHAPTERS]
    cited = {key.strip() for text in texts for group in re.findall(r"\{cite[pt]?\}`([^`]+)`", text) for key in group.split(",")}
    assert cited and cited <= keys, cited - keys


def test_ci_runs_the_readme_test_command_with_quick_mode():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make book" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "ALEXNET_EDU_QUICK=1" in makefile and "tests/chapters_as_colab.py --official-layouts" in makefile
    assert "--nbval" in (ROOT / "tests" / "chapters_as_colab.py").read_text()


EXPLORERS = ("conv_output", "lrn_response", "pca_noise", "lr_schedule", "dropout")


def test_every_explorer_is_in_a_chapter_with_its_static_figure_after_it():
    """A live widget has no kernel in the HTML book: its output is removed there, and the cell after it
    draws the same exploration at a few settings, so the page loses nothing."""
    found = {}
    for chapter in CHAPTERS:
        cells = _cells(chapter)
        for i, cell in enumerate(cells):
            match = re.search(r"^explore_(\w+)\(", _source(cell), re.M)
            if cell["cell_type"] != "code" or not match:
                continue
            name = match.group(1)
            found[name] = chapter.stem
            tags = cell["metadata"].get("tags", [])
            assert "remove-output" in tags and "nbval-ignore-output" in tags, (chapter.name, name)
            after = _source(cells[i + 1])
            assert f"{name}_panels(" in after and "remove-output" not in cells[i + 1]["metadata"].get("tags", [])
            assert any(o.get("data", {}).keys() & {"image/png", "image/jpeg"} for o in cells[i + 1]["outputs"])
    assert sorted(found) == sorted(EXPLORERS), found


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_no_chapter_carries_widget_state_or_a_widget_output_the_html_would_show(chapter):
    nb = json.loads(chapter.read_text())
    assert "widgets" not in nb["metadata"], "widget state makes the HTML load a widget manager from a CDN"
    for cell in nb["cells"]:
        shown = "remove-output" not in cell["metadata"].get("tags", [])
        for output in cell.get("outputs", []):
            assert not (shown and "application/vnd.jupyter.widget-view+json" in output.get("data", {})), \
                f"{chapter.name}: a widget output would be an empty box in the HTML; tag the cell remove-output"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_every_figure_goes_through_the_book_style(chapter):
    """One figure style: plt.show() would bypass display.show_plot's fit to the column."""
    for cell in _cells(chapter):
        source = _source(cell)
        if cell["cell_type"] == "code":
            assert "plt.show()" not in source, f"{chapter.name}: use alexnet_edu.display.show_plot(fig)"
            small = re.findall(r"fontsize=([0-9.]+)", source)
            assert all(float(s) >= 9 for s in small), f"{chapter.name}: a font under 9 pt: {small}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_chapters_check_behaviour_not_the_packages_source_text(chapter):
    """A chapter that asserts on the text of the package's functions breaks with any refactoring of them."""
    for cell in _cells(chapter):
        if cell["cell_type"] == "code":
            assert not re.search(r"\bgetsource\(|\bgetsourcelines\(|__code__", _source(cell)), \
                f"{chapter.name}: check what the package does, not its source text"


def test_chapter_titles_carry_their_number():
    for chapter in CHAPTERS:
        title = _source(_cells(chapter)[0]).splitlines()[0]
        assert title.startswith(f"# {chapter.stem[:2]}. "), (chapter.name, title)
