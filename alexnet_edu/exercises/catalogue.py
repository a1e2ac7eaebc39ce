"""Every exercise of the book, by label: what a student answers, and how it is checked.

Each chapter ``book/NN_topic.ipynb`` has one checker module ``alexnet_edu/exercises/chNN_topic.py``
(and one test file ``tests/test_exercises_NN_topic.py``). The module ends with ``EXERCISES``, one
:class:`Exercise` per ``{exercise-start}`` of the chapter, in the chapter's order. An exercise answered
in words has no ``check``: its rubric sits in the chapter's solution and an instructor grades it by hand.

A student answers in the exercise's answer cell (the student edition has one under each exercise)::

    table_top1 = 1.0
    table_top2 = 0.5
    check("metric-topk-table", table_top1=table_top1, table_top2=table_top2)

and ``python -m alexnet_edu grade`` runs the same :func:`check` on what the cell left behind.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import pkgutil
import re
from types import ModuleType
from typing import Any

from ._engine import Exercise, report

#: The prefix of the one line the grader reads from each grading cell.
GRADE_MARK = "ALEXNET_EDU_GRADE "
NOT_ATTEMPTED, PASSED, FAILED, ERROR, BY_HAND = "not attempted", "pass", "fail", "error", "by hand"


def _chapter_modules() -> dict[str, ModuleType]:
    from . import __path__ as here

    names = sorted(m.name for m in pkgutil.iter_modules(here) if re.fullmatch(r"ch\d\d_\w+", m.name))
    return {name[2:]: importlib.import_module(f"{__package__}.{name}") for name in names}


#: chapter (its file name without ``.ipynb``) → its checker module.
CHAPTER_MODULES: dict[str, ModuleType] = _chapter_modules()


def _load() -> dict[str, Exercise]:
    found: dict[str, Exercise] = {}
    for chapter, module in CHAPTER_MODULES.items():
        for exercise in module.EXERCISES:
            if exercise.label in found:
                raise RuntimeError(f"exercise label {exercise.label!r} is used twice")
            found[exercise.label] = Exercise(exercise.label, dict(exercise.answers), exercise.check, chapter)
    return found


#: label → :class:`Exercise`, in the order of the chapters and of the exercises in each.
CATALOGUE: dict[str, Exercise] = _load()


def chapter_exercises(chapter: str) -> list[Exercise]:
    """The exercises of one chapter (its file name without ``.ipynb``), in order."""
    return [e for e in CATALOGUE.values() if e.chapter == chapter]


def check(label: str, **answers: Any) -> bool:
    """Check your answers to exercise ``label``, e.g. ``check("metric-random", blind_top5=0.995, blind_top5_ten=0.5)``.

    Prints what is right or wrong, with a hint, and returns ``True`` when every answer is right.
    """
    exercise = CATALOGUE.get(label)
    if exercise is None:
        return report(False, f"There is no exercise {label!r}; the label is under each exercise's title.")
    if not exercise.auto:
        return report(False, "This exercise is answered in words; your instructor grades it against a rubric.")
    missing = [name for name in exercise.answers if name not in answers]
    extra = [name for name in answers if name not in exercise.answers]
    if missing or extra:
        return report(False, f"Exercise {label} takes the answers {', '.join(exercise.answers)}"
                             + (f"; {', '.join(missing)} missing" if missing else "")
                             + (f"; {', '.join(extra)} not asked for" if extra else "") + ".")
    unfilled = [name for name in exercise.answers if answers[name] is Ellipsis]
    if unfilled:
        return report(False, f"Replace ... with your answer in {', '.join(unfilled)}, then run the cell again.")
    return bool(exercise.check(**answers))


def grade_here(label: str, namespace: dict[str, Any]) -> dict[str, str]:
    """Grade exercise ``label`` on the variables a notebook left in ``namespace``, and print the
    result as one line for the grader. Runs inside the kernel that ran the submission."""
    exercise = CATALOGUE[label]
    answers = {name: namespace.get(name, Ellipsis) for name in exercise.answers}
    result = {"exercise": label, "status": NOT_ATTEMPTED, "message": ""}
    if not exercise.auto:
        result.update(status=BY_HAND, message="answered in words: grade against the rubric in the chapter")
    elif all(value is not Ellipsis for value in answers.values()):
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                ok = check(label, **answers)
            result.update(status=PASSED if ok else FAILED, message=out.getvalue().strip())
        except Exception as err:  # a student's function that raises is graded, not fatal
            result.update(status=ERROR, message=f"{type(err).__name__}: {err}")
    else:
        result["message"] = "no answer in " + ", ".join(n for n, v in answers.items() if v is Ellipsis)
    print(GRADE_MARK + json.dumps(result))
    return result
