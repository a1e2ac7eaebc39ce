"""The student edition: generated from the chapters and fresh, with no solution in it, every exercise
prompt kept, an answer cell under each exercise, and an HTML book whose launch buttons open it."""

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from alexnet_edu.editions import (
    INSTRUCTORS_PAGE,
    answer_code,
    META,
    exercise_blocks,
    instructors_page,
    student_notebook,
    write_student_book,
)
from alexnet_edu.exercises.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
STUDENT = ROOT / "student"
REGENERATE = "run: python -m alexnet_edu student-edition"


def _nb(path: Path) -> dict:
    return json.loads(path.read_text())


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _words(text: str) -> str:
    """Text as its lower-case words and numbers only: markup, math delimiters and typographic quotes
    differ between a notebook's source and the HTML Sphinx makes of it; the words do not."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _fragments(chapter: Path) -> tuple[set[str], set[str]]:
    """What only the solutions of a chapter say (code lines and sentences found nowhere else in
    it), and the prompt sentences of its exercises."""
    nb = _nb(chapter)
    solution_cells, prompt_cells = set(), set()
    for b in exercise_blocks(nb):
        prompt_cells.update(range(b.start, b.exercise_end + 1))
        if b.solution:
            solution_cells.update(range(b.solution[0], b.solution[1] + 1))

    def pieces(text: str) -> set[str]:
        lines = {" ".join(line.split()) for line in text.splitlines()}
        sentences = {" ".join(s.split()) for s in re.split(r"(?<=[.!?])\s+", text)}
        return {p for p in lines | sentences if len(p) >= 30 and "{solution" not in p and "{exercise" not in p}

    inside = set().union(*(pieces(_source(nb["cells"][i])) for i in sorted(solution_cells)))
    outside = [_source(c) for i, c in enumerate(nb["cells"]) if i not in solution_cells]
    # the answer cells handed out name the answers and the check call, as the solutions do
    outside += [answer_code(e) for e in CATALOGUE.values() if e.chapter == chapter.stem and e.auto]
    everywhere_else = _words(" ".join(outside))
    prompts = set().union(*(pieces(_source(nb["cells"][i])) for i in sorted(prompt_cells)))
    return {p for p in inside if _words(p) not in everywhere_else}, prompts


def _text(nb: dict) -> str:
    parts = []
    for cell in nb["cells"]:
        parts.append(_source(cell))
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") if isinstance(output.get("text", ""), str) else "".join(output["text"]))
            for value in output.get("data", {}).values():
                parts.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list) else "")
    return " ".join(" ".join(parts).split())


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_committed_student_notebook_is_generated_from_the_chapter(chapter):
    import nbformat

    committed = STUDENT / chapter.name
    assert committed.is_file(), REGENERATE
    fresh = student_notebook(nbformat.read(chapter, as_version=4), chapter.stem)
    assert json.loads(nbformat.writes(fresh)) == _nb(committed), REGENERATE


def test_no_student_notebook_without_a_chapter():
    assert {p.name for p in STUDENT.glob("*.ipynb")} == {p.name for p in CHAPTERS}


def test_instructors_page_is_fresh_and_lists_every_chapter_with_its_times():
    page = (ROOT / INSTRUCTORS_PAGE).read_text()
    assert page == instructors_page(ROOT), REGENERATE
    times = json.loads((ROOT / "alexnet_edu" / "records" / "chapter_times.json").read_text())["chapters"]
    for chapter in CHAPTERS:
        row = next(line for line in page.splitlines() if line.startswith(f"| {{doc}}`{chapter.stem}`"))
        assert "not measured" not in row, f"measure {chapter.stem}: benchmarks/chapter_times.py"
        assert f"{times[chapter.stem]['quick_cpu_s']:.0f} s" in row or "min" in row
        assert f"/student/{chapter.name})" in row
    for exercise in CATALOGUE.values():
        assert f"`{exercise.label}`" in page


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_student_notebook_has_no_solution_and_every_prompt(chapter):
    student = _nb(STUDENT / chapter.name)
    text = _text(student)
    secret, prompts = _fragments(chapter)
    assert secret, "a chapter's solutions say something of their own"
    leaked = [s for s in secret if s in text]
    assert not leaked, leaked[:3]
    assert all(p in text for p in prompts)
    assert "{solution-start}" not in text and "Rubric." not in text
    assert all(not c.get("outputs") for c in student["cells"] if c["cell_type"] == "code")
    answers = [c for c in student["cells"] if "answer" in c["metadata"].get(META, {})]
    for exercise in (e for e in CATALOGUE.values() if e.chapter == chapter.stem and e.auto):
        cell = next(c for c in answers if c["metadata"][META]["answer"] == exercise.label)
        assert re.search(rf'check\(\s*"{re.escape(exercise.label)}"', _source(cell))
        assert all(f"{name} = ..." in " ".join(_source(cell).split()) for name in exercise.answers)


def test_the_answer_cell_runs_and_says_what_to_do(capsys):
    cell = next(c for c in _nb(STUDENT / "11_imagenet_metric.ipynb")["cells"]
                if c["metadata"].get(META, {}).get("answer") == "metric-random")
    exec(_source(cell), {})
    assert "Replace ... with your answer" in capsys.readouterr().out


@pytest.fixture(scope="module")
def student_html(tmp_path_factory) -> Path:
    """The student HTML book, built as `make student` builds it."""
    source = write_student_book(ROOT, tmp_path_factory.mktemp("student-src") / "book")
    out = tmp_path_factory.mktemp("student-html")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    subprocess.run([str(jupyter_book), "build", str(source), "--path-output", str(out), "--warningiserror",
                    "--keep-going", "--quiet"], check=True, capture_output=True)
    return out / "_build" / "html"


def _visible(page: Path) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(), flags=re.S)
    return _words(html.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_student_html_has_no_solution_and_every_prompt(student_html, chapter):
    page = student_html / f"{chapter.stem}.html"
    text = _visible(page)
    secret, _ = _fragments(chapter)
    nb = _nb(chapter)
    prompts = [_words(m) for b in exercise_blocks(nb)
               for m in re.findall(r"\*\*(.+?)\*\*", _source(nb["cells"][b.start]), re.S)[:1]]
    leaked = [s for s in secret if len(_words(s)) > 40 and _words(s) in text]
    assert not leaked, leaked[:3]
    assert len(prompts) == len(exercise_blocks(nb)) and all(p in text for p in prompts), \
        [p for p in prompts if p not in text]
    assert "solution to" not in text
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    github = config["url"].removeprefix("https://github.com/")
    assert f"colab.research.google.com/github/{github}/blob/{config['branch']}/student/{chapter.name}" in page.read_text()


def test_link_chapters_links_prose_and_directives_but_not_code_or_math():
    from alexnet_edu.editions import link_chapters

    pages = {"21": "21_shape_arithmetic", "24": "24_overlapping_pooling", "32": "32_training_recipe"}
    markdown = "\n".join([
        "As chapter 32 shows, and chapters 21 to 24; chapter 99 has no page.",
        "```{admonition} Run here",
        ":class: important",
        "",
        "the run of chapter",
        "32's recipe",
        "```",
        "```python",
        'print("chapter 21")',
        "```",
        "`chapter 21` and $chapter\\ 21$ stay; so does {doc}`chapter 24 <24_overlapping_pooling>`.",
    ])
    linked = link_chapters(markdown, pages).split("\n")
    assert linked[0] == ("As {doc}`chapter 32 <32_training_recipe>` shows, and chapters "
                         "{doc}`21 <21_shape_arithmetic>` to {doc}`24 <24_overlapping_pooling>`; "
                         "chapter 99 has no page.")
    assert "the run of {doc}`chapter 32 <32_training_recipe>`'s recipe" in linked
    assert 'print("chapter 21")' in linked and linked[-1] == markdown.split("\n")[-1]
    assert link_chapters(link_chapters(markdown, pages), pages) == link_chapters(markdown, pages)
