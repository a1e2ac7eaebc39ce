"""Grade submitted notebooks: ``python -m alexnet_edu grade SUBMISSION.ipynb ... --out grades.csv``.

Each submission is executed in a fresh kernel, in a temporary folder, in quick mode, with a time
limit for the whole notebook. After the last cell of each exercise (before the next exercise or
heading) the grader adds one cell that runs the exercise's checker on the answers the student's
cells left in the kernel (:func:`alexnet_edu.exercises.catalogue.grade_here`) and prints one line,
which is all the grader reads: a cell that prints "Correct." itself proves nothing. Every exercise
gets one row: pass, fail, not attempted, error, or by hand (answered in words, for the rubric).

A submission that raises, runs past its time, or is not a notebook is graded as such and the
command goes on with the next one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

from .editions import META, WORDS_PROMPT, exercise_blocks, has_rubric
from .exercises.catalogue import BY_HAND, CATALOGUE, ERROR, GRADE_MARK, NOT_ATTEMPTED, chapter_exercises
from .runtime import QUICK_ENV

NOTEBOOK_ROW = "(notebook)"


@dataclass
class Row:
    """One line of the grades table."""

    student: str
    notebook: str
    chapter: str
    exercise: str
    status: str
    message: str


def student_name(path: Path) -> str:
    """Who submitted ``path``: its folder's name when the file keeps a chapter's name
    (``alice/11_imagenet_metric.ipynb``), else the file's name (``alice_ch11.ipynb`` → alice_ch11)."""
    chapters = {e.chapter for e in CATALOGUE.values()}
    return path.parent.name if path.stem in chapters and path.parent.name else path.stem


def _chapter_of(nb: Any) -> Optional[str]:
    chapter = nb.metadata.get(META, {}).get("chapter")
    if chapter:
        return chapter
    labels = [b.label for b in exercise_blocks(nb)]
    found = {CATALOGUE[label].chapter for label in labels if label in CATALOGUE}
    return found.pop() if len(found) == 1 else None


def _grading_cell(label: str) -> Any:
    import nbformat

    cell = nbformat.v4.new_code_cell(
        f"from alexnet_edu.exercises.catalogue import grade_here as _alexnet_edu_grade\n"
        f"_alexnet_edu_grade({label!r}, globals())")
    cell.metadata[META] = {"grade": label}
    return cell


def _error_text(cell: Any) -> Optional[str]:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
    return None


def _graded(cell: Any) -> Optional[dict]:
    for output in cell.get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith(GRADE_MARK):
                return json.loads(line[len(GRADE_MARK):])
    return None


def _execute(nb: Any, folder: str, timeout: float) -> tuple[set[int], Optional[str]]:
    """Run every code cell of ``nb`` in place, in a kernel started in ``folder``, within ``timeout``
    seconds in all. Returns the indices of the cells that ran, and why execution stopped early."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    env = dict(os.environ, **{QUICK_ENV: "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"})
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": folder}},
                            # the kernel's start-up warnings are noise between the grader's lines
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])
    deadline = time.monotonic() + timeout
    ran: set[int] = set()
    try:
        with client.setup_kernel(env=env, cwd=folder):
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    return ran, f"the notebook ran past its {timeout:g} s limit before cell {i}"
                client.timeout = max(1, int(left))
                try:
                    client.execute_cell(cell, i)
                except CellTimeoutError:
                    return ran, f"the notebook ran past its {timeout:g} s limit in cell {i}"
                ran.add(i)
    except DeadKernelError as err:
        return ran, f"the kernel died: {err}"
    except Exception as err:  # a kernel that fails to start, a broken notebook: graded, not fatal
        return ran, f"{type(err).__name__}: {err}"
    return ran, None


def grade_notebook(path: Path, timeout: float = 300) -> list[Row]:
    """Grade one submission: one :class:`Row` per exercise of its chapter (and one for the notebook
    when it raised, timed out, or could not be read)."""
    import nbformat

    student = student_name(path)
    try:
        nb = nbformat.read(path, as_version=4)
        nb.cells  # noqa: B018  (a JSON file that is not a notebook fails here)
    except Exception as err:
        return [Row(student, str(path), "", NOTEBOOK_ROW, ERROR, f"not a readable notebook: {type(err).__name__}: {err}")]
    chapter = _chapter_of(nb)
    if chapter is None:
        return [Row(student, str(path), "", NOTEBOOK_ROW, ERROR,
                    "no exercise of the book found in this notebook: submit a chapter's student notebook")]
    blocks = {b.label: b for b in exercise_blocks(nb)}
    exercises = chapter_exercises(chapter)
    # grading cells go in from the back, so that the indices of the blocks stay right
    inserts = sorted(((blocks[e.label].end if e.label in blocks else len(nb.cells)), n, e.label)
                     for n, e in enumerate(exercises))
    rubric = {label for label, b in blocks.items() if has_rubric(nb, b)}
    words = {c.metadata[META]["answer_words"]: _source_text(c) for c in nb.cells
             if c.cell_type == "markdown" and "answer_words" in c.metadata.get(META, {})}
    for at, _, label in reversed(inserts):
        nb.cells.insert(at, _grading_cell(label))
    with tempfile.TemporaryDirectory(prefix="alexnet-edu-grade-") as folder:
        ran, stopped = _execute(nb, folder, timeout)

    rows = []
    grading_cells = {c.metadata[META]["grade"]: i for i, c in enumerate(nb.cells)
                     if "grade" in c.metadata.get(META, {})}
    bounds = _bounds(nb, grading_cells)
    errors_inside: set[int] = set()
    for e in exercises:
        i = grading_cells[e.label]
        lo = bounds[e.label]
        failed = next(((j, t) for j in range(lo, i) if (t := _error_text(nb.cells[j]))), None)
        if failed:
            errors_inside.add(failed[0])
        result = _graded(nb.cells[i]) if i in ran else None
        if result is None:
            why = _error_text(nb.cells[i]) or stopped or "the grading cell did not run"
            row = Row(student, str(path), chapter, e.label, ERROR, why)
        elif failed and result["status"] != "pass":
            row = Row(student, str(path), chapter, e.label, ERROR, f"cell {failed[0]} raised {failed[1]}")
        else:
            row = Row(student, str(path), chapter, e.label, result["status"], result["message"])
        if not e.auto:
            row.status, row.message = _words(words.get(e.label))
        rows.append(row)
        if e.auto and e.label in rubric | set(words):
            status, message = _words(words.get(e.label))
            rows.append(Row(student, str(path), chapter, f"{e.label} (in words)", status, message))
    outside = next(((j, t) for j, c in enumerate(nb.cells) if j not in errors_inside and c.cell_type == "code"
                    and (t := _error_text(c)) and "grade" not in c.metadata.get(META, {})), None)
    if stopped or outside:
        message = stopped or f"cell {outside[0]} raised {outside[1]}"
        rows.insert(0, Row(student, str(path), chapter, NOTEBOOK_ROW, ERROR, message))
    return rows


def _source_text(cell: Any) -> str:
    return "".join(cell.source) if isinstance(cell.source, list) else cell.source


def _bounds(nb: Any, grading_cells: dict[str, int]) -> dict[str, int]:
    """For each exercise, the first cell of its block (its exercise-start, or the cell after the
    previous grading cell when the student removed the prompt)."""
    starts = {b.label: b.start for b in exercise_blocks(nb)}
    return {label: starts.get(label, i) for label, i in grading_cells.items()}


def _words(text: Optional[str]) -> tuple[str, str]:
    if text is None:
        return BY_HAND, "no answer cell in words: read the notebook against the rubric"
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("**Your answer to"):
        lines = lines[1:]
    answer = " ".join("\n".join(lines).replace(WORDS_PROMPT, "").split())
    if not answer:
        return NOT_ATTEMPTED, "the answer cell is as handed out"
    return BY_HAND, answer[:300]


def grade(paths: Iterable[Path], out: Optional[Path] = None, timeout: float = 300,
          progress: bool = True) -> list[Row]:
    """Grade every submission in ``paths``; write the rows to ``out`` (CSV, atomically) when given."""
    from tqdm.auto import tqdm

    from .runs import write_atomic

    rows: list[Row] = []
    paths = list(paths)
    for path in tqdm(paths, desc="grading", unit="notebook", disable=not progress):
        rows.extend(grade_notebook(Path(path), timeout))
    if out is not None:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(Row.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)
        write_atomic(out, buffer.getvalue().encode())
    return rows
