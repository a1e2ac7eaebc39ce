"""Every exercise of the book has a checker or a rubric, and a chapter, its checker module and its
test file are found from one another by name."""

import ast
import json
import keyword
import re
from pathlib import Path

import pytest

from alexnet_edu import exercises
from alexnet_edu.editions import RUBRIC_MARK, exercise_blocks, has_rubric
from alexnet_edu.exercises.catalogue import CATALOGUE, CHAPTER_MODULES, chapter_exercises, check

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def _notebook(path: Path) -> dict:
    return json.loads(path.read_text())


def _source(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_module_and_test_file_go_by_the_chapters_name(chapter):
    assert chapter.stem in CHAPTER_MODULES, f"write alexnet_edu/exercises/ch{chapter.stem}.py"
    assert (ROOT / "tests" / f"test_exercises_{chapter.stem}.py").is_file()
    assert CHAPTER_MODULES[chapter.stem].__file__.endswith(f"ch{chapter.stem}.py")


def test_every_checker_module_belongs_to_a_chapter():
    assert set(CHAPTER_MODULES) == {p.stem for p in CHAPTERS}


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_the_catalogue_lists_the_chapters_exercises_in_order(chapter):
    labels = [b.label for b in exercise_blocks(_notebook(chapter))]
    assert len(labels) >= 3
    assert [e.label for e in chapter_exercises(chapter.stem)] == labels


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_exercise_has_a_checker_or_a_rubric(chapter):
    nb = _notebook(chapter)
    for block in exercise_blocks(nb):
        exercise = CATALOGUE[block.label]
        assert block.solution is not None, f"{block.label} has no solution"
        if not exercise.auto:
            assert has_rubric(nb, block), f"{block.label} is answered in words: give its solution a rubric"
            assert not exercise.answers
        first, last = block.solution
        for cell in nb["cells"][first:last + 1]:
            text = _source(cell)
            if RUBRIC_MARK in text:
                points = re.findall(r"^- ", text.split(RUBRIC_MARK, 1)[1], re.M)
                assert len(points) >= 2, f"{block.label}: a rubric lists at least two points"


def test_the_count_of_checked_and_rubric_exercises():
    auto = [e for e in CATALOGUE.values() if e.auto]
    words = [e for e in CATALOGUE.values() if not e.auto]
    print(f"{len(CATALOGUE)} exercises: {len(auto)} checked, {len(words)} graded by a rubric")
    assert len(CATALOGUE) == sum(len(exercise_blocks(_notebook(p))) for p in CHAPTERS)
    assert len(auto) + len(words) == len(CATALOGUE) and len(auto) > len(words)


@pytest.mark.parametrize("label", [e.label for e in CATALOGUE.values() if e.auto])
def test_answer_names_are_identifiers_and_unanswered_means_not_attempted(label, capsys):
    exercise = CATALOGUE[label]
    assert exercise.answers
    for name in exercise.answers:
        assert name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_")
    assert check(label, **{name: ... for name in exercise.answers}) is False
    assert "Replace ... with your answer" in capsys.readouterr().out
    # a wrong type is a message, not a traceback
    assert check(label, **{name: "no idea" for name in exercise.answers}) is False
    assert capsys.readouterr().out.startswith("Not yet.")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_answer_names_are_set_only_in_their_exercises_solution(chapter):
    """The grader reads each exercise's answers at the end of its block: no other cell may set them."""
    nb = _notebook(chapter)
    owner = {i: b.label for b in exercise_blocks(nb) if b.solution for i in range(b.solution[0], b.solution[1] + 1)}
    names = {n: e.label for e in chapter_exercises(chapter.stem) for n in e.answers}
    assert len(names) == sum(len(e.answers) for e in chapter_exercises(chapter.stem)), "answer names repeat"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        # IPython magics (%pip, %matplotlib) are not Python: read them as `pass`
        source = "\n".join(l[:len(l) - len(l.lstrip())] + "pass" if l.lstrip().startswith(("%", "!")) else l
                           for l in _source(cell).splitlines())
        assigned = {t.id for node in ast.walk(ast.parse(source)) if isinstance(node, (ast.Assign, ast.AugAssign, ast.For))
                    for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                    for t in ast.walk(target) if isinstance(t, ast.Name)}
        for name in assigned & set(names):
            assert owner.get(i) == names[name], f"cell {i} sets {name}, the answer of {names[name]}"


def test_check_refuses_unknown_labels_and_wrong_answer_names(capsys):
    assert not check("no-such-exercise", x=1)
    assert "no exercise" in capsys.readouterr().out
    assert not check("metric-random", blind_top5=0.995)
    assert "blind_top5_ten missing" in capsys.readouterr().out
    assert not check("metric-random", blind_top5=0.995, blind_top5_ten=0.5, top1=0.999)
    assert "top1 not asked for" in capsys.readouterr().out
    assert check("metric-random", blind_top5=1 - 5 / 1000, blind_top5_ten=1 - 5 / 10)


def test_every_checker_is_exported_once():
    names = [n for n in exercises.__all__ if n.startswith("check_")]
    assert len(names) == len(set(names))
    for module in CHAPTER_MODULES.values():
        for name, value in vars(module).items():
            if name.startswith("check_") and getattr(value, "__module__", None) == module.__name__:
                assert getattr(exercises, name) is value
