"""The one engine every checker runs on: parse an answer, compare it with the truth under one
tolerance policy, and match a wrong answer against known misconceptions to give a hint.

A checker is its truth plus its misconceptions::

    @checker
    def check_random_topk_error(answer, k=5, classes=1000) -> bool:
        given = number(answer, "the error, a fraction between 0 and 1")
        truth = 1 - k / classes
        return judge(given, truth, right=f"1 − {k}/{classes} = {truth:g}.",
                     wrong=f"{given:g} is not the top-{k} error.",
                     misconceptions=[(k / classes, "That is the accuracy; the question asks for the error.")],
                     otherwise="Where does the true class land in a random order?")

A malformed answer (a string, ``...`` left in place, a wrong shape) raises :class:`AnswerError`
inside the checker; :func:`checker` turns it into a "Not yet." message, so a student never sees a
traceback from a typo.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence

import numpy as np

#: The one tolerance policy: an answer matches when it is within 0.1 % of the truth (relative) or
#: within 1e-9 (absolute, for truths at 0). A checker departs from it only with a reason written
#: beside the call: a tighter ``rel`` where a misconception lies closer than 0.1 % to the truth, a
#: looser one where the answer is read off a calculator or a plot.
REL_TOL = 1e-3
ABS_TOL = 1e-9


class AnswerError(ValueError):
    """An answer that cannot be read; the message says how to give it."""


def report(ok: bool, message: str) -> bool:
    """Print ``message`` after "Correct." or "Not yet." and return ``ok``."""
    print(("Correct. " if ok else "Not yet. ") + message)
    return ok


def checker(function: Callable[..., bool]) -> Callable[..., bool]:
    """Make ``function`` a checker: an :class:`AnswerError` raised while reading the answer becomes a
    "Not yet." message with what to do, and the checker returns ``False``."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> bool:
        try:
            return function(*args, **kwargs)
        except AnswerError as err:
            return report(False, str(err))

    return wrapper


def _unfilled(answer: Any) -> bool:
    return answer is Ellipsis or answer is None


def number(answer: Any, what: str = "the answer as one number") -> float:
    """``answer`` as one finite float; a one-element array or tensor counts as a number."""
    if _unfilled(answer):
        raise AnswerError(f"Replace ... with your answer: {what}.")
    try:
        value = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        raise AnswerError(f"Give {what}.") from None
    if value.size != 1 or not math.isfinite(float(value.reshape(-1)[0])):
        raise AnswerError(f"Give {what}.")
    return float(value.reshape(-1)[0])


def integer(answer: Any, what: str = "the answer as a whole number") -> int:
    """``answer`` as an int; a float that is a whole number (3.0) counts, 3.5 does not."""
    value = number(answer, what)
    if value != round(value):
        raise AnswerError(f"Give {what}: {value:g} is not a whole number.")
    return int(round(value))


def array(answer: Any, what: str = "the answer as an array of numbers",
          shape: Optional[Sequence[int]] = None) -> np.ndarray:
    """``answer`` (a list, array or tensor) as a finite float64 array, of ``shape`` when given."""
    if _unfilled(answer):
        raise AnswerError(f"Replace ... with your answer: {what}.")
    if hasattr(answer, "detach"):  # a torch tensor, perhaps on a GPU or needing grad
        answer = answer.detach().cpu().numpy()
    try:
        value = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        raise AnswerError(f"Give {what}.") from None
    if shape is not None and value.shape != tuple(shape):
        if value.size == math.prod(shape) and value.size == 1:
            value = value.reshape(tuple(shape))
        else:
            raise AnswerError(f"Give {what}, of shape {tuple(shape)}; got shape {value.shape}.")
    if not np.isfinite(value).all():
        raise AnswerError(f"Give {what}: yours holds a NaN or an infinity.")
    return value


def shape(answer: Any, what: str = "the shape as a tuple of whole numbers") -> tuple[int, ...]:
    """``answer`` (a tuple, list, ``torch.Size`` or one int) as a tuple of ints."""
    if _unfilled(answer):
        raise AnswerError(f"Replace ... with your answer: {what}.")
    if isinstance(answer, str):
        raise AnswerError(f"Give {what}, not a string.")
    items = tuple(answer) if hasattr(answer, "__iter__") else (answer,)
    return tuple(integer(v, what) for v in items)


def choice(answer: Any, options: Iterable[str], what: str = "one of the options") -> str:
    """``answer`` as one of ``options`` (compared without case or surrounding spaces)."""
    options = tuple(options)
    if _unfilled(answer):
        raise AnswerError(f"Replace ... with your answer: {what}, one of {', '.join(map(repr, options))}.")
    given = str(answer).strip().lower()
    for option in options:
        if given == option.lower():
            return option
    raise AnswerError(f"Give {what} as one of {', '.join(map(repr, options))}.")


def close(given: Any, truth: Any, rel: float = REL_TOL, abs_: float = ABS_TOL) -> bool:
    """Whether ``given`` matches ``truth`` under the checkers' one tolerance policy (numbers or
    arrays of the same shape)."""
    a, b = np.asarray(given, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    if a.shape != b.shape or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return False
    return bool(np.all(np.abs(a - b) <= np.maximum(abs_, rel * np.abs(b))))


def judge(
    given: Any,
    truth: Any,
    right: str,
    wrong: str,
    misconceptions: Iterable[tuple[Any, str]] = (),
    otherwise: str = "",
    rel: float = REL_TOL,
    abs_: float = ABS_TOL,
) -> bool:
    """Report ``right`` when ``given`` matches ``truth``. Otherwise report ``wrong`` followed by the
    hint of the first misconception whose value ``given`` matches (misconceptions that coincide with
    the truth for this question are skipped), or by ``otherwise``."""
    if close(given, truth, rel, abs_):
        return report(True, right)
    for value, hint in misconceptions:
        if value is None:
            continue
        if not close(value, truth, rel, abs_) and close(given, value, rel, abs_):
            return report(False, f"{wrong} {hint}".strip())
    return report(False, f"{wrong} {otherwise}".strip())


def percent_or_count(truth: float, count: Optional[int] = None, noun: str = "items") -> list[tuple[float, str]]:
    """The misconceptions of every rate: a percentage for a fraction, the complement, a raw count."""
    hints = [(100 * truth, "That looks like a percentage: give a fraction between 0 and 1."),
             (1 - truth, "That is the complement: the question asks for the other share.")]
    if count:
        hints.append((truth * count, f"That is a number of {noun}; divide it by the {count:,} {noun}."))
    return hints


@dataclass(frozen=True)
class Exercise:
    """One exercise: its label in the chapter, the answers it asks for, and how they are checked.

    ``answers`` maps each variable a student sets to what it holds ("the top-1 error, a fraction").
    ``check`` receives them as keyword arguments, prints its message and returns whether all are
    right; ``None`` means the answer is prose, graded by hand against the rubric in the chapter.
    """

    label: str
    answers: dict[str, str] = field(default_factory=dict)
    check: Optional[Callable[..., bool]] = None
    chapter: str = ""

    @property
    def auto(self) -> bool:
        """Whether a checker grades this exercise (otherwise a rubric does)."""
        return self.check is not None
