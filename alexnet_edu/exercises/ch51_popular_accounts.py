"""Checkers for the chapter on what popular accounts of AlexNet get wrong (51).

The chapter tables the claims of four popular write-ups about the paper; these checkers recompute,
with the package, the numbers its exercises ask for: a layer's parameter count against one account's
rounded figure, the rows of the paper's Table 2 that have a test error, and where two learning-rate
schedules end after the paper's 90 epochs.
"""

from __future__ import annotations

import textwrap
from typing import Iterable

import numpy as np

from ..claims import Verdict, grade
from ..paper import (
    ARCHITECTURE,
    EPOCHS,
    LEARNING_RATE,
    LR_DROP_FACTOR,
    LR_DROPS,
    TABLE2_ILSVRC2012,
    Conv,
    FC,
)
from ..shapes import layer_shapes
from ._engine import AnswerError, Exercise, checker, close, integer, number
from ._engine import report as _plain_report


def _report(ok: bool, message: str) -> bool:
    """The checkers' pass/fail message, wrapped to the book's 88 columns."""
    prefix = "Correct. " if ok else "Not yet. "
    text = textwrap.fill(prefix + message, 88, subsequent_indent="    ")
    return _plain_report(ok, text[len(prefix):])

# Popular account D's layer table: each layer's parameter count as the account writes it ("~307K"),
# and the number of significant figures it is written with.
ACCOUNT_D_PARAMS: dict[str, tuple[float, int]] = {
    "conv1": (35e6, 2),
    "conv2": (307e3, 3),
    "conv3": (1.2e6, 2),
    "conv4": (768e3, 3),
    "conv5": (512e3, 3),
    "fc6": (38e6, 2),
    "fc7": (16.8e6, 3),
    "fc8": (4.1e6, 2),
}
# Popular account D's schedule: "halved every 8 epochs".
HALVING_EPOCHS = 8

_LEARNED = tuple(layer.name for layer in ARCHITECTURE if isinstance(layer, (Conv, FC)))


def _short(value: float) -> str:
    """35e6 -> '35M', 307e3 -> '307K', as the account writes its counts."""
    for size, unit in ((1e6, "M"), (1e3, "K")):
        if value >= size:
            return f"{value / size:g}{unit}"
    return f"{value:g}"


def account_d_param_grade(name: str):
    """Account D's parameter count for layer ``name`` graded against the package's exact count, at the
    precision the account writes it (a :class:`~alexnet_edu.claims.Grade`)."""
    claimed, figures = ACCOUNT_D_PARAMS[name]
    truth = next(r.params for r in layer_shapes() if r.name == name)
    return grade(claimed, truth, significant=figures)


@checker
def check_account_param_claim(name: str, params: int, claim_holds: bool) -> bool:
    """Account D's layer table: the exact parameter count (weights and biases, the paper's grouping)
    of layer ``name`` ("conv1" … "fc8"), and whether the account's rounded figure for that layer
    holds at the precision it is written with (``claim_holds``: True or False).
    """
    if name not in ACCOUNT_D_PARAMS:
        return _report(False, f"{name!r} is not a layer of the account's table: choose one of "
                              f"{', '.join(_LEARNED)}.")
    given = integer(params, "the number of parameters as one integer")
    if claim_holds is Ellipsis:
        raise AnswerError("Replace ... with your answer: True or False, whether the account's figure holds.")
    if not isinstance(claim_holds, (bool, np.bool_)):
        raise AnswerError("Say whether the account's figure holds with True or False.")
    claim_holds = bool(claim_holds)
    layer = next(layer for layer in ARCHITECTURE if layer.name == name)
    row = next(r for r in layer_shapes() if r.name == name)
    truth = row.params
    claimed, figures = ACCOUNT_D_PARAMS[name]
    holds = account_d_param_grade(name).verdict is Verdict.AGREES
    if given != truth:
        outputs = row.out_shape[0]
        if given == truth - outputs:
            hint = "That counts the weights only: each kernel (or neuron) also has one bias."
        elif isinstance(layer, Conv) and layer.groups > 1 and given in (
                layer.kernel ** 2 * row.in_shape[0] * outputs + outputs,
                layer.kernel ** 2 * row.in_shape[0] * outputs):
            hint = (f"{name} is grouped (§3.5): each kernel reads only the "
                    f"{row.in_shape[0] // layer.groups} maps of its own GPU, not all "
                    f"{row.in_shape[0]}.")
        else:
            hint = ("Weights: kernels × height × width × depth (or fan-in × outputs); then one bias "
                    "per output.")
        return _report(False, f"{given:,} is not the parameter count of {name}. {hint}")
    rounded = f"{truth:,} is {_short(float(f'{truth:.{figures}g}'))} at {figures} significant figures"
    if claim_holds == holds:
        verb = "holds" if holds else "does not hold"
        return _report(True, f"{name} has {truth:,} parameters; {rounded}, so the account's "
                             f"~{_short(claimed)} {verb}.")
    return _report(False, f"The count {truth:,} is right, but compare it with the account's "
                          f"~{_short(claimed)} at the {figures} significant figures it is written with.")


@checker
def check_table2_test_entries(answer: Iterable[str]) -> bool:
    """Table 2 of the paper (ILSVRC-2012): the names of the rows that report a *test* error (the
    others report validation errors only). Give the names as Table 2 writes them, e.g. "1 CNN*".
    """
    if isinstance(answer, str):
        answer = [answer]
    if answer is Ellipsis or answer is None:
        answer = [Ellipsis]
    try:
        names = list(answer)
    except TypeError:
        raise AnswerError('Give the row names as a set of strings, for example {"1 CNN"}.') from None
    if any(name is Ellipsis for name in names):
        raise AnswerError('Replace ... with your answer: the row names as a set of strings, for example {"1 CNN"}.')
    given = {str(name).strip() for name in names}
    rows = set(TABLE2_ILSVRC2012)
    unknown = sorted(given - rows)
    if unknown:
        return _report(False, f"{', '.join(unknown)}: not a row of Table 2. Its rows are "
                              f"{', '.join(TABLE2_ILSVRC2012)}.")
    truth = {name for name, (_, _, test) in TABLE2_ILSVRC2012.items() if test is not None}
    if given == truth:
        listed = ", ".join(f"{name} {TABLE2_ILSVRC2012[name][2]:.1%}" for name in TABLE2_ILSVRC2012
                           if name in truth)
        return _report(True, f"Only these have a test error: {listed}. The other rows are "
                             "validation errors.")
    parts = []
    for name in sorted(given - truth):
        top1, top5, _ = TABLE2_ILSVRC2012[name]
        parts.append(f"{name} has validation errors only ({top1:.1%}, {top5:.1%}): its test "
                     "column is a dash.")
    if truth - given:
        parts.append("A row with a test error is missing: read the last column of Table 2.")
    return _report(False, " ".join(parts))


def final_learning_rates(epochs: int = EPOCHS) -> tuple[float, float]:
    """(the learning rate after ``epochs`` epochs halved every :data:`HALVING_EPOCHS`, the paper's
    final learning rate: 0.01 divided by 10 three times)."""
    halving = LEARNING_RATE * 0.5 ** (epochs // HALVING_EPOCHS)
    paper = LEARNING_RATE * LR_DROP_FACTOR ** LR_DROPS
    return halving, paper


@checker
def check_final_learning_rates(halving: float, paper: float) -> bool:
    """The learning rate in the last of the paper's 90 epochs: under account D's schedule (0.01,
    halved after every 8 epochs) and under the paper's (0.01, divided by 10 three times, §5).
    """
    what = "two numbers: (the halving schedule's rate, the paper's rate)"
    given = (number(halving, what), number(paper, what))
    if not all(v > 0 for v in given):
        raise AnswerError("Learning rates are positive numbers.")
    truth_halving, truth_paper = final_learning_rates()
    halvings = EPOCHS // HALVING_EPOCHS
    ok_halving = close(given[0], truth_halving)
    ok_paper = close(given[1], truth_paper)
    if ok_halving and ok_paper:
        return _report(True, f"Halving after epochs 8, 16, …, {halvings * HALVING_EPOCHS} is "
                             f"{halvings} halvings: 0.01/{2 ** halvings:,} = {truth_halving:.3g}. "
                             f"The paper divides by 10, {LR_DROPS} times: {truth_paper:g}. "
                             f"{halvings} changes against {LR_DROPS}, and a final rate "
                             f"{truth_halving / truth_paper:.2f} times the paper's.")
    parts = []
    if not ok_halving:
        if any(close(given[0], LEARNING_RATE * 0.5 ** k) for k in (halvings - 1, halvings + 1)):
            parts.append("Off by one halving: count the multiples of 8 up to 90.")
        else:
            parts.append("The halving schedule's rate is not right: 0.01 times 0.5 for every 8 "
                         "epochs completed.")
    if not ok_paper:
        parts.append("The paper's rate is not right: §5 divides 0.01 by 10, three times.")
    return _report(False, " ".join(parts))


EXERCISES = [
    Exercise("accounts-conv4",
             {"conv4_params": "conv4's parameter count, weights and biases, with the paper's grouping",
              "conv4_claim_holds": "whether account D's ~768K holds at three significant figures: True or False"},
             lambda conv4_params, conv4_claim_holds: check_account_param_claim("conv4", conv4_params,
                                                                               conv4_claim_holds)),
    Exercise("accounts-table2",
             {"test_rows": "the names of Table 2's rows that report a test error, a set of strings"},
             lambda test_rows: check_table2_test_entries(test_rows)),
    Exercise("accounts-schedule",
             {"final_lr_halving": "the learning rate in epoch 90 when 0.01 is halved after every 8 epochs",
              "final_lr_paper": "the learning rate in epoch 90 under the paper's schedule"},
             lambda final_lr_halving, final_lr_paper: check_final_learning_rates(final_lr_halving, final_lr_paper)),
    Exercise("accounts-inconclusive"),
]
