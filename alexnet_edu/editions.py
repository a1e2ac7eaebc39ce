"""The student edition: the chapters with every solution removed and an answer cell under each exercise.

The chapters are the instructor edition. In them, an exercise is the cells from its
``{exercise-start}`` to its ``{exercise-end}``, and its solution the cells from ``{solution-start}``
to ``{solution-end}`` (sphinx-exercise's gated markup, the one place solutions are marked). The
student edition keeps the exercise, drops the solution, and puts under the exercise

- a code cell that sets the exercise's answers to ``...`` and calls
  :func:`alexnet_edu.exercises.check` on them, where a checker grades the exercise;
- a markdown cell to write the answer in, where a rubric grades it by hand.

``python -m alexnet_edu student-edition`` writes the student notebooks (``student/``, committed, so
that their Colab links work) and the source of the student HTML book; ``make student`` builds it.
"""

from __future__ import annotations

import copy
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .exercises.catalogue import CATALOGUE, Exercise, chapter_exercises

#: metadata key of the cells this module adds, and of the notebook's edition
META = "alexnet_edu"
WORDS_PROMPT = "*Write your answer here, in place of this line.*"
RUBRIC_MARK = "**Rubric.**"
STUDENT_NOTE = (
    "```{note}\n"
    "**Student edition.** Solutions are removed. Under each exercise is a cell for your answer: "
    "replace each `...` and run the cell, and `check` says whether the answer is right, with a hint "
    "when it is not. Exercises answered in words are graded by your instructor.\n"
    "```"
)


@dataclass(frozen=True)
class Block:
    """Where one exercise sits in a notebook: cell indices, ``end`` exclusive (the next exercise,
    the next heading, or the end of the notebook)."""

    label: str
    start: int
    exercise_end: int
    solution: Optional[tuple[int, int]]  # first and last cell of the solution, inclusive
    end: int


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _marker(cell: Any, name: str) -> Optional[str]:
    """The label after a ``{name}`` directive in a markdown cell ('' when there is none), else None."""
    if cell.get("cell_type") != "markdown":
        return None
    match = re.search(r"```\{" + name + r"\}[ \t]*(\S*)[^\n]*\n((?::[^\n]*\n)*)", _source(cell) + "\n")
    if not match:
        return None
    label = re.search(r"^:label:[ \t]*(\S+)", match.group(2), re.M)
    return match.group(1) or (label.group(1) if label else "")


def exercise_blocks(nb: Any) -> list[Block]:
    """Every exercise of a notebook (an nbformat notebook or its dict), in order."""
    cells = nb["cells"]
    starts = [(i, _marker(c, "exercise-start")) for i, c in enumerate(cells)]
    starts = [(i, label) for i, label in starts if label is not None]
    blocks = []
    for n, (start, label) in enumerate(starts):
        limit = starts[n + 1][0] if n + 1 < len(starts) else len(cells)
        end = next((i for i in range(start + 1, limit) if cells[i].get("cell_type") == "markdown"
                    and re.match(r"#{1,3} ", _source(cells[i]).lstrip())), limit)
        exercise_end = next((i for i in range(start, end) if _marker(cells[i], "exercise-end") is not None), start)
        sol_start = next((i for i in range(start, end) if _marker(cells[i], "solution-start") is not None), None)
        solution = None
        if sol_start is not None:
            sol_end = next((i for i in range(sol_start, end) if _marker(cells[i], "solution-end") is not None), end - 1)
            solution = (sol_start, sol_end)
        blocks.append(Block(label, start, exercise_end, solution, end))
    return blocks


def has_rubric(nb: Any, block: Block) -> bool:
    """Whether the exercise's solution holds a rubric (part of it is graded by hand)."""
    if block.solution is None:
        return False
    first, last = block.solution
    return any(RUBRIC_MARK in _source(c) for c in nb["cells"][first:last + 1] if c.get("cell_type") == "markdown")


def answer_code(exercise: Exercise) -> str:
    """The source of the answer cell of a checked exercise."""
    width = max(len(name) for name in exercise.answers)
    lines = [f"# Exercise {exercise.label}: replace each ... with your answer, then run this cell.",
             "from alexnet_edu.exercises import check", ""]
    lines += [f"{name:<{width}} = ...  # {what}" for name, what in exercise.answers.items()]
    call = f'check("{exercise.label}", ' + ", ".join(f"{name}={name}" for name in exercise.answers) + ")"
    if len(call) > 88:  # one argument a line, to fit the column
        call = "\n".join([f'check(\n    "{exercise.label}",'] + [f"    {n}={n}," for n in exercise.answers] + [")"])
    lines += ["", call]
    return "\n".join(lines)


def answer_words(label: str) -> str:
    """The source of the answer cell of an exercise answered in words."""
    return f"**Your answer to {label}** (in words; your instructor grades it against a rubric):\n\n{WORDS_PROMPT}"


def _new_cell(cell_type: str, source: str, label: str, role: str) -> dict:
    import nbformat

    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    cell.metadata[META] = {role: label}
    cell.id = re.sub(r"[^A-Za-z0-9-]", "-", f"{role}-{label}")[:64]
    return cell


def student_notebook(nb: Any, chapter: str, keep_outputs: bool = False) -> Any:
    """The student edition of one chapter: solutions removed, an answer cell under each exercise,
    outputs cleared (all of them, or, with ``keep_outputs``, only those of the exercises' cells)."""
    import nbformat

    nb = copy.deepcopy(nb)
    blocks = exercise_blocks(nb)
    known = {e.label: e for e in chapter_exercises(chapter)}
    unknown = [b.label for b in blocks if b.label not in known]
    if unknown or len(blocks) != len(known):
        raise ValueError(f"{chapter}: the chapter's exercises {[b.label for b in blocks]} do not match the "
                         f"catalogue's {list(known)}; update EXERCISES in alexnet_edu/exercises/ch{chapter}.py")
    drop: set[int] = set()
    after: dict[int, list] = {}
    exercise_cells: set[int] = set()
    for block in blocks:
        if block.solution is not None:
            drop.update(range(block.solution[0], block.solution[1] + 1))
        exercise_cells.update(range(block.start, block.end))
        added = []
        exercise = known[block.label]
        if exercise.auto:
            added.append(_new_cell("code", answer_code(exercise), block.label, "answer"))
        if not exercise.auto or has_rubric(nb, block):
            added.append(_new_cell("markdown", answer_words(block.label), block.label, "answer_words"))
        after[block.exercise_end] = added
    cells = []
    for i, cell in enumerate(nb.cells):
        if i in drop:
            continue
        if cell.cell_type == "code" and (not keep_outputs or i in exercise_cells):
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
        if i == 0:
            cells.append(_new_cell("markdown", STUDENT_NOTE, chapter, "edition_note"))
        cells.extend(after.get(i, []))
    nb.cells = cells
    nb.metadata[META] = {"edition": "student", "chapter": chapter}
    nbformat.validate(nb)
    return nb


def write_student_notebooks(book: Path, out: Path, keep_outputs: bool = False) -> list[Path]:
    """Write the student edition of every chapter in ``book`` to ``out`` (same file names)."""
    import nbformat

    from .runs import write_atomic

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(book.glob("*.ipynb")):
        nb = student_notebook(nbformat.read(path, as_version=4), path.stem, keep_outputs)
        target = out / path.name
        write_atomic(target, (nbformat.writes(nb) + "\n").encode())
        written.append(target)
    return written


def write_student_book(root: Path, out: Path, notebooks: str = "student") -> Path:
    """The source of the student HTML book in ``out``: the book's configuration and pages, with the
    student notebooks (their outputs kept, but none of an exercise's) in place of the chapters.
    Its launch buttons open the committed student notebooks in ``root / notebooks``."""
    import yaml

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    config = yaml.safe_load((root / "_config.yml").read_text())
    config["title"] = f"{config['title']} (student edition)"
    config["repository"]["path_to_book"] = notebooks
    config["exclude_patterns"] = ["_build/*", "**/.ipynb_checkpoints"]
    toc = yaml.safe_load((root / "_toc.yml").read_text())

    def flat(entry: str) -> str:
        return Path(entry).name

    toc["root"] = flat(toc["root"])
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            chapter["file"] = flat(chapter["file"])
    (out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    (out / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False, allow_unicode=True))
    for name in config.get("bibtex_bibfiles", []):
        shutil.copy(root / name, out / name)
    # static folders (MathJax, fetched by `make mathjax`) are named relative to the book's root
    for static in config.get("sphinx", {}).get("config", {}).get("html_static_path", []):
        if (root / static).is_dir():
            shutil.copytree(root / static, out / static, dirs_exist_ok=True)
    for page in (root / "book").glob("*.md"):
        shutil.copy(page, out / page.name)
    write_student_notebooks(root / "book", out, keep_outputs=True)
    return out


#: What a student should know, and which chapters to have read, before each chapter.
PREREQUISITES: dict[str, str] = {
    "11_imagenet_metric": "Python and PyTorch tensors; a rate and its binomial standard error.",
    "12_preprocessing": "Chapter 11; images as arrays (channels, height, width).",
    "13_augmentation": "Chapter 12; eigenvectors and principal component analysis.",
    "21_shape_arithmetic": "What a convolution and a pooling layer compute; no earlier chapter.",
    "22_relu": "Chapter 21; derivatives and the chain rule; a training loop with SGD.",
    "23_lrn": "Chapters 21 and 22.",
    "24_overlapping_pooling": "Chapter 21; over-fitting, training against test error.",
    "25_architecture": "Chapters 21 to 24.",
    "31_dropout": "Chapter 25; expectation and variance of a random variable.",
    "32_training_recipe": "Chapters 25 and 31; SGD with momentum and weight decay.",
    "33_full_imagenet_training": "Chapters 25 and 32; what a GPU and data parallelism are.",
    "41_ten_crop": "Chapters 12, 13 and 32.",
    "42_first_layer": "Chapters 25 and 32; PCA helps (chapter 13).",
    "43_predictions_neighbours": "Chapters 32 and 42; Euclidean distance between vectors.",
    "44_inside_layers": "Chapters 21 to 25.",
    "45_ensembles": "Chapters 11 and 41.",
    "51_popular_accounts": "The chapters it cites, best read last.",
}
INSTRUCTORS_PAGE = "book/52_instructors.md"

# "chapter 32", "chapters 25 and 32", "chapters 21 to 24": the numbers the prose uses for chapters.
_SEPARATOR = r"(?:,\s*|\s+and\s+|\s+or\s+|–|\s+to\s+)"
_MENTION = re.compile(r"\b([Cc]hapters?)(\s+)(\d\d)\b((?:" + _SEPARATOR + r"\d\d\b)*)")
# what is not prose in a line of MyST: roles, code spans, math
_NOT_PROSE = re.compile(r"(\{[a-z-]+\}`[^`]*`|`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$)")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(\{?[^\s}]*\}?)")


def link_chapters(markdown: str, pages: dict[str, str]) -> str:
    """Make every "chapter NN" of MyST ``markdown`` a link ``{doc}`` to its page.

    ``pages`` maps a chapter's two digits to its document ("23" → "23_lrn"); a number no page has
    stays as it is, and so does text in code blocks, roles, code spans and math. Directives
    (```` ```{admonition} ````, ```` ```{exercise-start} ````) hold prose and are linked inside.
    """
    def one(match: re.Match) -> str:
        word, space, first, rest = match.groups()
        if word.lower() == "chapter" and not rest and first in pages:
            return f"{{doc}}`{word} {first} <{pages[first]}>`"
        linked = [f"{{doc}}`{first} <{pages[first]}>`" if first in pages else first]
        for separator, number in re.findall("(" + _SEPARATOR + r")(\d\d)", rest):
            linked.append(separator + (f"{{doc}}`{number} <{pages[number]}>`" if number in pages else number))
        return word + space + "".join(linked)

    def prose(text: str) -> str:
        parts = _NOT_PROSE.split(text)
        return "".join(part if i % 2 else _MENTION.sub(one, part) for i, part in enumerate(parts))

    # Text between fences is linked whole (a mention may break across lines); fenced code is left alone.
    out, text, fences = [], [], []  # fences: (marker, is code) of each open fence, innermost last
    for line in markdown.split("\n"):
        fence = _FENCE.match(line)
        in_code = any(code for _, code in fences)
        if fence:
            marker, info = fence.groups()
            if fences and not info and marker == fences[-1][0]:
                fences.pop()
            elif not in_code:
                fences.append((marker, not info.startswith("{") or info.startswith("{code")))
        if fence or in_code:
            if text:
                out.append(prose("\n".join(text)))
            text = []
            out.append(line)
        else:
            text.append(line)
    if text:
        out.append(prose("\n".join(text)))
    return "\n".join(out)


def _chapter_summary(nb: Any) -> tuple[str, list[str]]:
    """A chapter's title and its "By the end of this chapter you can" bullets."""
    first = _source(nb["cells"][0])
    title = first.splitlines()[0].lstrip("# ").strip()
    _, _, rest = first.partition("By the end of this chapter you can:")
    bullets = [" ".join(b.split()) for b in re.split(r"\n- ", "\n" + rest.strip()) if b.strip()]
    return title, bullets


def _exercise_title(nb: Any, block: Block) -> str:
    match = re.search(r"\*\*(.+?)\*\*", _source(nb["cells"][block.start]), re.S)
    return " ".join(match.group(1).split()).rstrip(".") if match else block.label


def instructors_page(root: Path, notebooks: str = "student") -> str:
    """The book's page for instructors (markdown), from the chapters, the exercise catalogue, the
    measured chapter times and the repository named in ``_config.yml``."""
    import nbformat
    import yaml

    repo = yaml.safe_load((root / "_config.yml").read_text())["repository"]
    github = repo["url"].removeprefix("https://github.com/")
    colab = f"https://colab.research.google.com/github/{github}/blob/{repo['branch']}/{notebooks}"
    chapters = {path: nbformat.read(path, as_version=4) for path in sorted((root / "book").glob("*.ipynb"))}
    pages = {path.stem[:2]: path.stem for path in (root / "book").glob("[0-9][0-9]_*.*")}
    auto = sum(e.auto for e in CATALOGUE.values())
    both = sum(CATALOGUE[b.label].auto and has_rubric(nb, b) for nb in chapters.values() for b in exercise_blocks(nb))
    lines = [
        "# For instructors",
        "",
        "<!-- Generated by `python -m alexnet_edu student-edition`; edit alexnet_edu/editions.py, not this file. -->",
        "",
        f"Every chapter ends with exercises, {len(CATALOGUE)} in all. {auto} are checked by a function of the",
        f"package; {both} of these also ask a question in words, graded against the rubric at the end of",
        f"their solution. The other {len(CATALOGUE) - auto} are answered in words only and graded against a",
        "rubric. This page says what each chapter teaches and takes, how to hand the exercises out, and how",
        "to grade them.",
        "",
        "## Hand out the student edition",
        "",
        f"The student edition is every chapter with its solutions removed, cells and text. It lives in the",
        f"repository's `{notebooks}/` folder, generated from the chapters (`make student`; a test fails when it is",
        "stale). Under each exercise is an answer cell: the student replaces each `...` with an answer and runs",
        "the cell, and `check(...)` prints whether the answer is right, with a hint for the common wrong",
        "answers. An exercise answered in words has a text cell to write in instead.",
        "",
        "- **Colab**: give students the links in the table below; each opens a fresh copy of the student",
        "  notebook, which installs the package and fetches its data by itself. Students save their copy",
        "  (File → Download → .ipynb) and hand in that file.",
        f"- **Download or clone**: the `{notebooks}/` folder of the repository, or `make student`, which also builds",
        "  the student edition as an HTML book in `_build/student/_build/html` (its launch buttons open the student",
        "  notebooks).",
        "- **Rubrics and solutions** are in this book: every solution is in the drop-down under its exercise,",
        "  and the solution of an exercise answered in words ends with its **Rubric**.",
        "",
        "## Grade",
        "",
        "Collect one notebook per student and chapter, named `STUDENT/CHAPTER.ipynb` (or any name: the file",
        "name then stands for the student), and run, in the environment the book builds (`make venv`):",
        "",
        "```bash",
        "python -m alexnet_edu grade submissions/*/*.ipynb --out grades.csv --timeout 300",
        "```",
        "",
        "Each notebook runs in a fresh kernel in a temporary folder, in quick mode, within the time limit.",
        "After each exercise the grader runs the exercise's checker on the answers the student's cells left",
        "behind, and writes one row per student and exercise: `pass`, `fail` (with the checker's hint),",
        "`not attempted` (answers still `...`), `error` (a cell of the exercise raised, or the notebook",
        "ran out of time before it), or `by hand` (an answer in words, quoted for you to grade with the",
        "rubric). A notebook that raises, runs too long or is not a notebook gets a `(notebook)` row saying",
        "so, and grading goes on with the next one. The checkers run inside the student's kernel, so a",
        "determined student could replace them: treat the grades as feedback at scale, not as proof.",
        "",
        "## The chapters",
        "",
        "Times are measured on 2 CPU cores (`alexnet_edu/records/chapter_times.json`); quick mode is what",
        "Colab runs by default and what the grader runs.",
        "",
        "| Chapter | Data | Quick | Full | Exercises (checked / in words) | Student notebook |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    details = []
    for path, nb in chapters.items():
        row, section = _chapter_entry(path, nb, colab, pages)
        lines.append(row)
        details += section
    return "\n".join(lines + details) + "\n"


def _chapter_entry(path: Path, nb: Any, colab: str, pages: dict[str, str]) -> tuple[str, list[str]]:
    """A chapter's row of the instructors' table, and its section: prerequisites, aims, exercises."""
    from .runtime import CHAPTER_DATA, DATASET_NAMES, chapter_costs, duration

    title, bullets = _chapter_summary(nb)
    data = ", ".join(DATASET_NAMES[n] for n in CHAPTER_DATA[path.stem]) or "none"
    costs = chapter_costs(path.stem)
    blocks = exercise_blocks(nb)
    exercises = {e.label: e for e in chapter_exercises(path.stem)}
    checked = sum(exercises[b.label].auto for b in blocks)
    words = sum((not exercises[b.label].auto) or has_rubric(nb, b) for b in blocks)
    row = (f"| {{doc}}`{path.stem}` | {data} | {duration(costs['quick_cpu_s'])} | {duration(costs['full_cpu_s'])} | "
           f"{len(blocks)} ({checked} / {words}) | [Colab]({colab}/{path.name}) |")
    section = ["", f"### {title}", "", f"**Prerequisites.** {link_chapters(PREREQUISITES[path.stem], pages)}", "",
               "**Students learn to:**", ""]
    section += [f"- {b}" for b in bullets]
    section += ["", "| Exercise | Label | Graded by |", "| --- | --- | --- |"]
    for b in blocks:
        e = exercises[b.label]
        how = ("checker" + (" + rubric" if has_rubric(nb, b) else "")) if e.auto else "rubric"
        section.append(f"| {_exercise_title(nb, b)} | `{b.label}` | {how} |")
    return row, section
