"""`python -m alexnet_edu grade`: the instructor notebooks pass, the student notebooks as handed out
are not attempted, and a submission that raises, hangs or is not a notebook is graded as such."""

import copy
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from alexnet_edu.editions import META, student_notebook
from alexnet_edu.exercises.catalogue import CATALOGUE
from alexnet_edu.grading import NOTEBOOK_ROW, grade, grade_notebook

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
CH11 = "11_imagenet_metric"


def _exercises_only(chapter: str = CH11) -> nbformat.NotebookNode:
    """Chapter 11's student notebook cut down to its exercises: a submission that grades in seconds."""
    nb = student_notebook(nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4), chapter)
    first = next(i for i, c in enumerate(nb.cells) if "{exercise-start}" in "".join(c.source))
    nb.cells = nb.cells[first:]
    return nb


def _answer_cell(nb, label: str):
    return next(c for c in nb.cells if c.metadata.get(META, {}).get("answer") == label)


def _fill(nb, label: str, **values) -> None:
    cell = _answer_cell(nb, label)
    for name, value in values.items():
        lines = cell.source.splitlines()
        i = next(n for n, line in enumerate(lines) if line.split("=")[0].strip() == name)
        lines[i] = f"{name} = {value}"
        cell.source = "\n".join(lines)


def _write(folder: Path, name: str, nb) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


def _by_exercise(rows) -> dict:
    return {r.exercise: r for r in rows}


@pytest.fixture(scope="module")
def instructor_rows(tmp_path_factory):
    folder = tmp_path_factory.mktemp("instructor") / "instructor"
    folder.mkdir()
    for chapter in CHAPTERS:
        shutil.copy(chapter, folder / chapter.name)
    out = folder.parent / "grades.csv"
    rows = grade(sorted(folder.glob("*.ipynb")), out, timeout=600, progress=False)
    return rows, out


def test_instructor_notebooks_pass_every_checked_exercise(instructor_rows):
    rows, out = instructor_rows
    assert not [r for r in rows if r.exercise == NOTEBOOK_ROW], [r for r in rows if r.exercise == NOTEBOOK_ROW]
    graded = {r.exercise: r for r in rows}
    for exercise in CATALOGUE.values():
        row = graded[exercise.label]
        assert row.status == ("pass" if exercise.auto else "by hand"), (exercise.label, row.message)
        if exercise.auto:
            assert row.message.startswith("Correct.")
    with open(out, newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(rows) and {r["student"] for r in table} == {"instructor"}


def test_student_notebooks_as_handed_out_are_not_attempted(tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    for chapter in CHAPTERS:
        shutil.copy(ROOT / "student" / chapter.name, folder / chapter.name)
    rows = grade(sorted(folder.glob("*.ipynb")), timeout=600, progress=False)
    assert not [r for r in rows if r.exercise == NOTEBOOK_ROW], [r for r in rows if r.exercise == NOTEBOOK_ROW]
    assert {r.exercise for r in rows} >= set(CATALOGUE)
    assert all(r.status == "not attempted" and r.student == "alice" for r in rows), \
        [r for r in rows if r.status != "not attempted"][:3]


def test_answers_right_wrong_missing_and_in_words(tmp_path):
    nb = _exercises_only()
    _fill(nb, "metric-topk-table", table_top1="1.0", table_top2="2 / 4")
    _fill(nb, "metric-random", blind_top5="0.005", blind_top5_ten="0.5")                 # the accuracy, not the error
    _fill(nb, "metric-standard-errors", z_pretrained="6.67")                 # one of two answers given
    words = next(c for c in nb.cells if c.metadata.get(META, {}).get("answer_words") == "metric-two-objects")
    words.source = words.source.replace("*Write your answer here, in place of this line.*",
                                        "Ambiguous labels put a floor under top-1 error.")
    nb.cells.append(nbformat.v4.new_code_cell('print("Correct. metric-two-objects")'))  # printing proves nothing
    rows = _by_exercise(grade_notebook(_write(tmp_path / "bob", f"{CH11}.ipynb", nb), timeout=120))
    assert rows["metric-topk-table"].status == "pass"
    assert rows["metric-random"].status == "fail" and "accuracy" in rows["metric-random"].message
    assert rows["metric-standard-errors"].status == "not attempted"
    assert "z_val_test" in rows["metric-standard-errors"].message
    assert rows["metric-two-objects"].status == "not attempted"
    assert rows["metric-two-objects (in words)"].status == "by hand"
    assert rows["metric-two-objects (in words)"].message == "Ambiguous labels put a floor under top-1 error."
    assert NOTEBOOK_ROW not in rows and {r.student for r in rows.values()} == {"bob"}


def test_a_submission_that_raises_is_graded_as_such(tmp_path):
    nb = _exercises_only()
    _fill(nb, "metric-topk-table", table_top1="undefined_name", table_top2="0.5")       # raises in the answer cell
    _fill(nb, "metric-random", blind_top5="1 - 5 / 1000", blind_top5_ten="0.5")
    nb.cells.insert(0, nbformat.v4.new_code_cell("raise RuntimeError('broken before the exercises')"))
    rows = _by_exercise(grade_notebook(_write(tmp_path, "carol.ipynb", nb), timeout=120))
    assert rows["metric-topk-table"].status == "error" and "NameError" in rows["metric-topk-table"].message
    assert rows["metric-random"].status == "pass"                           # grading went on past both errors
    assert rows[NOTEBOOK_ROW].status == "error" and "broken before the exercises" in rows[NOTEBOOK_ROW].message
    assert rows[NOTEBOOK_ROW].student == "carol"


def test_a_submission_past_its_time_limit_is_stopped_and_graded(tmp_path):
    nb = _exercises_only()
    _fill(nb, "metric-topk-table", table_top1="1.0", table_top2="0.5")
    at = next(i for i, c in enumerate(nb.cells) if c.metadata.get(META, {}).get("answer") == "metric-random")
    nb.cells.insert(at, nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
    rows = _by_exercise(grade_notebook(_write(tmp_path, "dave.ipynb", nb), timeout=20))
    assert rows["metric-topk-table"].status == "pass"
    assert rows["metric-random"].status == "error" and "20 s limit" in rows["metric-random"].message
    assert rows[NOTEBOOK_ROW].status == "error" and "limit" in rows[NOTEBOOK_ROW].message


def test_corrupt_and_foreign_files_are_graded_and_grading_goes_on(tmp_path):
    corrupt = tmp_path / "erin.ipynb"
    corrupt.write_text('{"cells": [ this is not json')
    foreign = _write(tmp_path, "frank.ipynb", nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))
    good = _exercises_only()
    _fill(good, "metric-topk-table", table_top1="1", table_top2="0.5")
    rows = grade([corrupt, foreign, _write(tmp_path, "gina.ipynb", good)], timeout=120, progress=False)
    by_student = {}
    for r in rows:
        by_student.setdefault(r.student, []).append(r)
    assert [(r.exercise, r.status) for r in by_student["erin"]] == [(NOTEBOOK_ROW, "error")]
    assert "not a readable notebook" in by_student["erin"][0].message
    assert [(r.exercise, r.status) for r in by_student["frank"]] == [(NOTEBOOK_ROW, "error")]
    assert "no exercise" in by_student["frank"][0].message
    assert _by_exercise(by_student["gina"])["metric-topk-table"].status == "pass"


def test_a_submission_runs_in_a_temporary_folder(tmp_path):
    nb = _exercises_only()
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import os\nopen('written-by-submission.txt', 'w').write(os.getcwd())"))
    submission = _write(tmp_path / "hana", f"{CH11}.ipynb", nb)
    rows = grade_notebook(submission, timeout=120)
    assert NOTEBOOK_ROW not in _by_exercise(rows)
    assert not list(tmp_path.rglob("written-by-submission.txt"))
    assert not (Path.cwd() / "written-by-submission.txt").exists()


def test_the_command_line_writes_the_csv_and_refuses_missing_files(tmp_path):
    nb = _exercises_only()
    _fill(nb, "metric-topk-table", table_top1="1", table_top2="0.5")
    submission = _write(tmp_path / "ivan", f"{CH11}.ipynb", nb)
    out = tmp_path / "grades.csv"
    done = subprocess.run([sys.executable, "-m", "alexnet_edu", "grade", str(submission), "--out", str(out),
                           "--timeout", "120"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    table = list(csv.DictReader(out.open()))
    assert {r["exercise"]: r["status"] for r in table}["metric-topk-table"] == "pass"
    assert list(table[0]) == ["student", "notebook", "chapter", "exercise", "status", "message"]
    missing = subprocess.run([sys.executable, "-m", "alexnet_edu", "grade", str(tmp_path / "nope.ipynb")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no such file" in missing.stderr
