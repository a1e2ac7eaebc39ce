"""Checkers for chapter 32, the training recipe (``book/32_training_recipe.ipynb``)."""

from __future__ import annotations

import math
from typing import Any

import torch

from ._engine import AnswerError, Exercise, array, checker, choice, close, integer, judge, number
from ..data import EXPECTED_IMAGES
from ..paper import LEARNING_RATE, MOMENTUM, WEIGHT_DECAY
from .ch33_full_imagenet_training import check_training_days, median_epoch_rate

_CONVENTIONS = ("paper", "pytorch")
#: One optimiser step by hand is exact arithmetic in floats; the slips lie close to the truth (the
#: weight-decay term is 0.05 % of the step of the exercise), so the usual 0.1 % would not see them.
_REL = 1e-6
_ABS = 1e-12


def _near(a: Any, b: Any) -> bool:
    return close(a, b, rel=_REL, abs_=_ABS)


def _paper_step(w: float, v: float, grad: float, lr: float, momentum: float, weight_decay: float,
                bias: bool) -> tuple[float, float]:
    """One step of :class:`alexnet_edu.optim.PaperSGD` on one weight (or bias): (new w, new v)."""
    from ..optim import PaperSGD

    shape = (1,) if bias else (1, 1)  # PaperSGD decays parameters with two or more dimensions only
    p = torch.nn.Parameter(torch.full(shape, float(w), dtype=torch.float64))
    opt = PaperSGD([p], lr=lr, momentum=momentum, weight_decay=weight_decay)
    opt.state[p]["velocity"] = torch.full(shape, float(v), dtype=torch.float64)
    p.grad = torch.full(shape, float(grad), dtype=torch.float64)
    opt.step()
    return p.item(), opt.state[p]["velocity"].item()


def _pytorch_step(w: float, buf: float, grad: float, lr: float, momentum: float, weight_decay: float,
                  bias: bool) -> tuple[float, float]:
    """One step of ``torch.optim.SGD`` (momentum buffer ``buf``): (new w, new buffer)."""
    shape = (1,) if bias else (1, 1)
    p = torch.nn.Parameter(torch.full(shape, float(w), dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum, weight_decay=0.0 if bias else weight_decay)
    opt.state[p]["momentum_buffer"] = torch.full(shape, float(buf), dtype=torch.float64)
    p.grad = torch.full(shape, float(grad), dtype=torch.float64)
    opt.step()
    return p.item(), opt.state[p]["momentum_buffer"].item()


@checker
def check_paper_sgd_step(w: float, v: float, grad: float, lr: float, answer, *, bias: bool = False,
                         momentum: float = MOMENTUM, weight_decay: float = WEIGHT_DECAY) -> bool:
    """The paper's update rule (§5), one step by hand: ``answer = (new_w, new_v)``, the weight and the
    velocity after one step from weight ``w`` and velocity ``v``, with batch-averaged gradient ``grad``
    and learning rate ``lr``. ``bias=True``: the parameter is a bias, which the package does not decay.

        v ← momentum·v − weight_decay·ε·w − ε·grad,    w ← w + v
    """
    what_args = "w, v, grad and lr must be numbers (lr ≥ 0, 0 ≤ momentum < 1, weight_decay ≥ 0)"
    w, v, grad, lr, momentum, weight_decay = (number(x, what_args) for x in (w, v, grad, lr, momentum, weight_decay))
    if lr < 0 or not 0 <= momentum < 1 or weight_decay < 0:
        raise AnswerError(what_args[0].upper() + what_args[1:] + ".")
    given = array(answer, "two numbers: (new weight, new velocity), in that order", shape=(2,))
    w_new, v_new = _paper_step(w, v, grad, lr, momentum, weight_decay, bias)
    what = "bias" if bias else "weight"
    # what plausible slips give, for the hint (never the right numbers)
    decay = 0.0 if bias else weight_decay
    slips = []
    if decay > 0:
        v_nodecay = momentum * v - lr * grad
        slips.append(((w + v_nodecay, v_nodecay), f"The weight-decay term −{decay:g}·ε·w is missing."))
        v_noeps = momentum * v - decay * w - lr * grad
        slips.append(((w + v_noeps, v_noeps), "In the paper's rule the weight-decay term is multiplied by ε too."))
    else:
        v_decayed = momentum * v - weight_decay * lr * w - lr * grad
        slips.append(((w + v_decayed, v_decayed), "Biases are not decayed here (weight decay acts on the weights "
                                                  "only, as in cuda-convnet)."))
    buf_new = momentum * v + grad + decay * w  # PyTorch's buffer, reading v as if it were one
    slips.append(((w - lr * buf_new, buf_new), "That is PyTorch's convention (ε outside the buffer); in the paper's "
                                               "rule the velocity already contains ε."))
    v_plus = momentum * v + decay * lr * w + lr * grad
    slips.append(((w + v_plus, v_plus), "Check the signs: the gradient and the decay are subtracted from the "
                                        "velocity."))
    slips.append(((w - v_new, v_new), "The velocity is right; the weight is updated by w ← w + v, with a plus."))
    slips.append(((w + v, v_new), "The velocity is right; the new weight uses the new velocity, not the old one."))
    if _near(given[1], v_new):
        otherwise = "The velocity is right; check the new weight: w ← w + v, with the new v."
    elif _near(given[0], w_new):
        otherwise = "The weight is right; check the velocity you report: it is the new one, after this step."
    else:
        otherwise = ("Compute the velocity first: momentum times the old velocity, minus the decay term (weights "
                     "only), minus ε times the gradient; then add it to the weight.")
    return judge(
        given, (w_new, v_new),
        right=f"One step of the paper's rule for a {what}: the velocity (in units of the {what}, ε inside) first, "
              f"then w ← w + v.",
        wrong=f"{given[0]:g}, {given[1]:g} is not the paper's step for this {what}.",
        misconceptions=slips, otherwise=otherwise, rel=_REL, abs_=_ABS,
    )


@checker
def check_step_after_drop(v: float, grad: float, lr_old: float, lr_new: float, convention: str, answer: float, *,
                          momentum: float = MOMENTUM) -> bool:
    """The change of a weight, Δw, in the first step after the learning rate drops from ``lr_old`` to
    ``lr_new``, for the paper's rule (``convention="paper"``) or ``torch.optim.SGD`` (``"pytorch"``).
    Before the drop both optimisers moved the weight identically; ``v`` is the last step they took
    (the paper's velocity, so PyTorch's buffer holds ``-v / lr_old``). No weight decay."""
    convention = choice(convention, _CONVENTIONS, "convention")
    what_args = "v, grad, lr_old > 0, lr_new ≥ 0 must be numbers, and 0 ≤ momentum < 1"
    v, grad, lr_old, lr_new, momentum = (number(x, what_args) for x in (v, grad, lr_old, lr_new, momentum))
    if lr_old <= 0 or lr_new < 0 or not 0 <= momentum < 1:
        raise AnswerError(what_args[0].upper() + what_args[1:] + ".")
    given = number(answer, "one number: the change of the weight in that step")
    steps = {"paper": _paper_step(0.0, v, grad, lr_new, momentum, 0.0, True)[0],
             "pytorch": _pytorch_step(0.0, -v / lr_old, grad, lr_new, momentum, 0.0, True)[0]}
    truth, other = steps[convention], steps["pytorch" if convention == "paper" else "paper"]
    why = ("the old velocity coasts on at full size; only the new gradient is scaled by the new ε"
           if convention == "paper" else "ε multiplies the whole buffer, so the old momentum shrinks at once")
    new_scale = "The new gradient is scaled by the new learning rate."
    momentum_first = "The old step is multiplied by the momentum before the new gradient is added."
    return judge(
        given, truth,
        right=f"{convention}: {why}.",
        wrong=f"{given:g} is not Δw for the {convention} convention.",
        misconceptions=[
            (other, "That is the other convention's step: where does ε sit, inside the velocity or outside the "
                    "buffer?"),
            (-lr_new * grad, "Momentum still carries the previous step; it does not vanish when ε changes."),
            (momentum * v - lr_old * grad, new_scale),
            (momentum * v * lr_new / lr_old - lr_old * grad, new_scale),
            (v - lr_new * grad, momentum_first),
            (v * lr_new / lr_old - lr_new * grad, momentum_first),
        ],
        otherwise="Write both optimisers' state just before the step (PyTorch's buffer is −v/ε_old), apply one step "
                  "with ε_new, and read off Δw.",
        rel=_REL, abs_=_ABS,
    )


def _decay_half_life(lr: float, momentum: float, weight_decay: float) -> int:
    """Steps until a weight with zero gradient and zero initial velocity is at most half its start,
    under :class:`PaperSGD`. The step is linear in (w, v), so its matrix is read off two steps of the
    optimiser, and the count is found by binary lifting on matrix powers."""
    cols = [_paper_step(w0, v0, 0.0, lr, momentum, weight_decay, False) for w0, v0 in ((1.0, 0.0), (0.0, 1.0))]
    m = torch.tensor(cols, dtype=torch.float64).T  # (w', v')ᵀ = m (w, v)ᵀ
    start = torch.tensor([1.0, 0.0], dtype=torch.float64)
    powers = [m]
    while (powers[-1] @ start)[0] > 0.5:
        if len(powers) > 80:
            raise ValueError("the weight never halves: is the learning rate or the weight decay zero?")
        powers.append(powers[-1] @ powers[-1])
    n, state = 0, start
    for k in range(len(powers) - 1, -1, -1):  # largest jumps that keep the weight above half
        after = powers[k] @ state
        if after[0] > 0.5:
            state, n = after, n + 2 ** k
    return n + 1


@checker
def check_decay_half_life(answer: float, lr: float = LEARNING_RATE, *, momentum: float = MOMENTUM,
                          weight_decay: float = WEIGHT_DECAY) -> bool:
    """Weight decay alone: the number of steps of the paper's rule after which a weight that gets no
    gradient (and starts with zero velocity) has shrunk to half its value, at learning rate ``lr``.
    Answers within 1% pass (the continuous approximation is good enough)."""
    what_args = "lr and weight_decay must be positive (their product small) and 0 ≤ momentum < 1"
    lr, momentum, weight_decay = (number(x, what_args) for x in (lr, momentum, weight_decay))
    if not 0 < lr * weight_decay < 0.1 or not 0 <= momentum < 1:
        raise AnswerError(what_args[0].upper() + what_args[1:] + ".")
    given = number(answer, "one positive number of steps")
    if given <= 0:
        raise AnswerError("Give one positive number of steps.")
    truth = _decay_half_life(lr, momentum, weight_decay)
    ln2 = math.log(2)
    learning_rate = "In the paper's rule the decay term is 0.0005·ε·w: the learning rate multiplies it."
    if given < truth / 100 or given > truth * 100:
        otherwise = "Far off: a weight shrinks by a small factor per step, so count steps until the product is 1/2."
    else:
        otherwise = ("With zero gradient, w shrinks by a factor close to 1 − ε·λ/(1 − momentum) per step once the "
                     "velocity has built up; solve (that factor)^n = 1/2.")
    return judge(
        given, truth,
        right=f"At ε = {lr:g} a weight that no gradient pushes loses half its size in that many steps: the "
              f"gradient must keep pushing weights out against the decay.",
        wrong=f"{given:g} steps is not the half-life at ε = {lr:g}.",
        misconceptions=[
            (ln2 / (lr * weight_decay), "Momentum adds up the decay's pushes: in the steady state the velocity is "
                                        "1/(1 − momentum) times one step's push."),
            (ln2 / weight_decay * (1 - momentum), learning_rate),
            (ln2 / weight_decay, learning_rate),
        ],
        otherwise=otherwise,
        rel=0.01,  # the continuous approximation ln 2·(1 − momentum)/(ελ) is within 1 % of the exact count
    )


def _plateau_rates(patience: int) -> list[float]:
    """The learning rate of every epoch under the training program's scheduler
    (:func:`alexnet_edu.config.make_scheduler`, patience ``patience``) when the validation error is
    lowest at epoch 1 and never improves afterwards, for enough epochs to see every drop."""
    from ..optim import PaperSGD
    from ..config import TrainConfig, make_scheduler

    cfg = TrainConfig(lr_patience=patience)
    opt = PaperSGD([torch.nn.Parameter(torch.zeros(1))], lr=cfg.lr)
    scheduler = make_scheduler(opt, cfg)
    rates = []
    for epoch in range(1, 3 + (cfg.lr_drops + 1) * (patience + 1)):
        rates.append(opt.param_groups[0]["lr"])  # the rate this epoch trains with
        scheduler.step(0.5 if epoch == 1 else 0.6)
    return rates


def _plateau_drops(patience: int) -> list[int]:
    """The epochs after which the rate drops (the last epoch at each old rate)."""
    rates = _plateau_rates(patience)
    return [epoch for epoch, (a, b) in enumerate(zip(rates, rates[1:]), start=1) if b < a]


def _patience(patience: Any) -> int:
    value = integer(patience, "the patience as a whole number of epochs")
    if not 0 <= value <= 100:
        raise AnswerError("The patience is a whole number of epochs between 0 and 100.")
    return value


_MORE_THAN = ("ReduceLROnPlateau waits until MORE than `patience` epochs have passed without a new best: "
              "patience + 1 of them.")
_EPOCH_ONE = "Epoch 1 sets the best value: the epochs without improvement start with epoch 2."


@checker
def check_plateau_drops(patience: int, answer) -> bool:
    """The epochs after which the training program's scheduler (``ReduceLROnPlateau``, as
    :func:`alexnet_edu.config.make_scheduler` sets it up, with ``lr_patience=patience``) divides the
    learning rate, when the validation error is lowest at epoch 1 and never improves afterwards."""
    patience = _patience(patience)
    values = array(answer, "the epochs as a list of whole numbers, such as [3, 6, 9]")
    if values.ndim != 1 or any(v != round(v) for v in values):
        raise AnswerError("Give the epochs as a list of whole numbers, such as [3, 6, 9].")
    given = [int(v) for v in values]
    truth = _plateau_drops(patience)
    drops = len(truth)
    return judge(
        given, truth,
        right=f"With patience {patience} each drop needs {patience + 1} epoch{'s' if patience else ''} without a "
              f"new best, and the count "
              f"starts again after a drop: the rate drops after epochs {', '.join(map(str, truth))}, "
              f"{drops} times in all.",
        wrong=f"{given} are not the epochs after which the rate drops with patience {patience}.",
        misconceptions=[
            ([1 + k * patience for k in range(1, drops + 1)] if patience > 0 else None, _MORE_THAN),
            ([k * (patience + 1) for k in range(1, drops + 1)], _EPOCH_ONE),
            ([truth[0] + k for k in range(drops)], "After a drop the count of epochs without improvement starts "
                                                   "again from 0."),
            ([d + 1 for d in truth], "Give the epochs AFTER which the rate drops (the last epoch at the old rate), "
                                     "not the first epoch at the new one."),
            (truth + [truth[-1] + patience + 1], f"The rate is divided at most {drops} times (lr_drops)."),
            (truth[:1], "The error never improves, so the rate keeps dropping: until the last allowed rate."),
        ],
        otherwise="Count, epoch by epoch, the epochs since the best validation error; the rate drops when that "
                  "count exceeds the patience, and the count restarts after a drop.",
    )


@checker
def check_first_epoch_at_final_rate(patience: int, answer: int) -> bool:
    """The first epoch trained at the schedule's last rate (ε/1000), under the same conditions as
    :func:`check_plateau_drops`: the validation error is lowest at epoch 1 and never improves."""
    patience = _patience(patience)
    given = integer(answer, "the epoch as a whole number")
    rates = _plateau_rates(patience)
    truth = next(epoch for epoch, rate in enumerate(rates, start=1) if rate == rates[-1])
    drops = len(_plateau_drops(patience))
    return judge(
        given, truth,
        right=f"Epoch {truth} is the first trained at {rates[-1]:.0e}: the epoch after the last drop.".replace("e-0", "e-"),
        wrong=f"Epoch {given} is not the first epoch at the last rate with patience {patience}.",
        misconceptions=[
            (truth - 1, "That is the last epoch at the rate before: the new rate starts with the next epoch."),
            (2 + drops * patience if patience > 0 else None, _MORE_THAN),
            (1 + drops * (patience + 1), _EPOCH_ONE),
        ],
        otherwise="Find the epoch after which the rate drops for the last time; the next one trains at the last rate.",
        rel=0.0, abs_=0.5,  # whole epochs: one epoch off is a different answer
    )


EXERCISES = [
    Exercise("training-sgd-step",
             {"new_w": "the weight after one step of the paper's rule", "new_v": "the velocity after it",
              "new_b": "the same step's result for a bias (not decayed)", "new_v_b": "the bias's velocity"},
             lambda new_w, new_v, new_b, new_v_b: all([
                 check_paper_sgd_step(0.5, -0.002, 0.3, 0.01, (new_w, new_v)),
                 check_paper_sgd_step(0.5, -0.002, 0.3, 0.01, (new_b, new_v_b), bias=True)])),
    Exercise("training-step-after-drop",
             {"paper_dw": "the change of the weight in the first step after the drop, paper's rule",
              "torch_dw": "the same under torch.optim.SGD"},
             lambda paper_dw, torch_dw: all([
                 check_step_after_drop(-0.02, 0.3, 0.01, 0.001, "paper", paper_dw),
                 check_step_after_drop(-0.02, 0.3, 0.01, 0.001, "pytorch", torch_dw)])),
    Exercise("training-decay-half-life",
             {"half_life_01": "steps until a weight with no gradient has halved, at ε = 0.01",
              "half_life_001": "the same at ε = 0.001"},
             lambda half_life_01, half_life_001: all([
                 check_decay_half_life(half_life_01),
                 check_decay_half_life(half_life_001, lr=0.001)])),
    Exercise("training-earliest-drops",
             {"drops_patience_3": "the epochs after which the rate drops, patience 3, a list",
              "first_epoch_at_1e5": "the first epoch trained at 1e-5, patience 3",
              "drops_patience_0": "the epochs after which the rate drops, patience 0, a list"},
             lambda drops_patience_3, first_epoch_at_1e5, drops_patience_0: all([
                 check_plateau_drops(3, drops_patience_3),
                 check_first_epoch_at_final_rate(3, first_epoch_at_1e5),
                 check_plateau_drops(0, drops_patience_0)])),
    Exercise("training-how-long",
             {"days_ilsvrc": "days for 90 epochs of ILSVRC-2012 at record (b)'s median epoch rate",
              "days_nette": "days for 90 epochs of Imagenette's 9,469 training images at that rate"},
             lambda days_ilsvrc, days_nette: all([
                 check_training_days(median_epoch_rate(), days_ilsvrc),
                 check_training_days(median_epoch_rate(), days_nette,
                                     images=EXPECTED_IMAGES[("imagenette", "train")])])),
]
