"""Checkers for the training-recipe chapter (32)."""

from __future__ import annotations

import math

import torch

from ..paper import LEARNING_RATE, MOMENTUM, WEIGHT_DECAY
from ._common import close as _close
from ._common import report as _report

_CONVENTIONS = ("paper", "pytorch")
_TOL = 1e-6  # relative: hand arithmetic in floats is exact to far better than this


def _numbers(values, n: int) -> tuple[float, ...] | None:
    """``n`` finite floats from a tuple, list or tensor, else None."""
    try:
        if isinstance(values, torch.Tensor):
            values = values.flatten().tolist()
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        return None
    if len(out) != n or not all(math.isfinite(v) for v in out):
        return None
    return out


def _near(a: float, b: float) -> bool:
    return _close(a, b, rel=_TOL, abs_=1e-12)


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


def check_paper_sgd_step(w: float, v: float, grad: float, lr: float, answer, *, bias: bool = False,
                         momentum: float = MOMENTUM, weight_decay: float = WEIGHT_DECAY) -> bool:
    """The paper's update rule (§5), one step by hand: ``answer = (new_w, new_v)``, the weight and the
    velocity after one step from weight ``w`` and velocity ``v``, with batch-averaged gradient ``grad``
    and learning rate ``lr``. ``bias=True``: the parameter is a bias, which the package does not decay.

        v ← momentum·v − weight_decay·ε·w − ε·grad,    w ← w + v
    """
    args = _numbers((w, v, grad, lr, momentum, weight_decay), 6)
    if args is None or lr < 0 or not 0 <= momentum < 1 or weight_decay < 0:
        return _report(False, "w, v, grad and lr must be numbers (lr ≥ 0, 0 ≤ momentum < 1, weight_decay ≥ 0).")
    given = _numbers(answer, 2)
    if given is None:
        return _report(False, "Give two numbers: (new weight, new velocity), in that order.")
    w_new, v_new = _paper_step(w, v, grad, lr, momentum, weight_decay, bias)
    what = "bias" if bias else "weight"
    w_ok, v_ok = _near(given[0], w_new), _near(given[1], v_new)
    if w_ok and v_ok:
        return _report(True, f"One step of the paper's rule for a {what}: the velocity (in units of the "
                             f"{what}, ε inside) first, then w ← w + v.")
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
    for (sw, sv), hint in slips:
        if _near(given[0], sw) and _near(given[1], sv):
            return _report(False, f"Not the paper's step for this {what}. {hint}")
    if v_ok:
        hint = "The velocity is right; check the new weight: w ← w + v, with the new v."
    elif w_ok:
        hint = "The weight is right; check the velocity you report: it is the new one, after this step."
    else:
        hint = ("Compute the velocity first: momentum times the old velocity, minus the decay term (weights only), "
                "minus ε times the gradient; then add it to the weight.")
    return _report(False, f"{given[0]:g}, {given[1]:g} is not the paper's step for this {what}. {hint}")


def check_step_after_drop(v: float, grad: float, lr_old: float, lr_new: float, convention: str, answer: float, *,
                          momentum: float = MOMENTUM) -> bool:
    """The change of a weight, Δw, in the first step after the learning rate drops from ``lr_old`` to
    ``lr_new``, for the paper's rule (``convention="paper"``) or ``torch.optim.SGD`` (``"pytorch"``).
    Before the drop both optimisers moved the weight identically; ``v`` is the last step they took
    (the paper's velocity, so PyTorch's buffer holds ``-v / lr_old``). No weight decay."""
    if convention not in _CONVENTIONS:
        return _report(False, f"convention must be 'paper' or 'pytorch', got {convention!r}.")
    args = _numbers((v, grad, lr_old, lr_new, momentum), 5)
    if args is None or lr_old <= 0 or lr_new < 0 or not 0 <= momentum < 1:
        return _report(False, "v, grad, lr_old > 0, lr_new ≥ 0 must be numbers, and 0 ≤ momentum < 1.")
    given = _numbers([answer] if not isinstance(answer, (tuple, list, torch.Tensor)) else answer, 1)
    if given is None:
        return _report(False, "Give one number: the change of the weight in that step.")
    given = given[0]
    steps = {"paper": _paper_step(0.0, v, grad, lr_new, momentum, 0.0, True)[0],
             "pytorch": _pytorch_step(0.0, -v / lr_old, grad, lr_new, momentum, 0.0, True)[0]}
    truth, other = steps[convention], steps["pytorch" if convention == "paper" else "paper"]
    if _near(given, truth):
        why = ("the old velocity coasts on at full size; only the new gradient is scaled by the new ε"
               if convention == "paper" else "ε multiplies the whole buffer, so the old momentum shrinks at once")
        return _report(True, f"{convention}: {why}.")
    if _near(given, other) and not _near(truth, other):
        hint = "That is the other convention's step: where does ε sit, inside the velocity or outside the buffer?"
    elif _near(given, -lr_new * grad):
        hint = "Momentum still carries the previous step; it does not vanish when ε changes."
    elif _near(given, momentum * v - lr_old * grad) or _near(given, momentum * v * lr_new / lr_old - lr_old * grad):
        hint = "The new gradient is scaled by the new learning rate."
    elif _near(given, v - lr_new * grad) or _near(given, v * lr_new / lr_old - lr_new * grad):
        hint = "The old step is multiplied by the momentum before the new gradient is added."
    else:
        hint = ("Write both optimisers' state just before the step (PyTorch's buffer is −v/ε_old), apply one step "
                "with ε_new, and read off Δw.")
    return _report(False, f"{given:g} is not Δw for the {convention} convention. {hint}")


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


def check_decay_half_life(answer: float, lr: float = LEARNING_RATE, *, momentum: float = MOMENTUM,
                          weight_decay: float = WEIGHT_DECAY) -> bool:
    """Weight decay alone: the number of steps of the paper's rule after which a weight that gets no
    gradient (and starts with zero velocity) has shrunk to half its value, at learning rate ``lr``.
    Answers within 1% pass (the continuous approximation is good enough)."""
    args = _numbers((lr, momentum, weight_decay), 3)
    if args is None or not 0 < lr * weight_decay < 0.1 or not 0 <= momentum < 1:
        return _report(False, "lr and weight_decay must be positive (their product small) and 0 ≤ momentum < 1.")
    given = _numbers([answer] if not isinstance(answer, (tuple, list, torch.Tensor)) else answer, 1)
    if given is None or given[0] <= 0:
        return _report(False, "Give one positive number of steps.")
    given = given[0]
    truth = _decay_half_life(lr, momentum, weight_decay)
    if abs(given - truth) <= 0.01 * truth:
        return _report(True, f"At ε = {lr:g} a weight that no gradient pushes loses half its size in that many "
                             f"steps: the gradient must keep pushing weights out against the decay.")
    per_step = lr * weight_decay
    if abs(given - math.log(2) / per_step) <= 0.02 * math.log(2) / per_step:
        hint = ("Momentum adds up the decay's pushes: in the steady state the velocity is 1/(1 − momentum) "
                "times one step's push.")
    elif abs(given - math.log(2) / weight_decay * (1 - momentum)) <= 0.02 * math.log(2) / weight_decay * (1 - momentum) \
            or abs(given - math.log(2) / weight_decay) <= 0.02 * math.log(2) / weight_decay:
        hint = "In the paper's rule the decay term is 0.0005·ε·w: the learning rate multiplies it."
    elif given < truth / 100 or given > truth * 100:
        hint = "Far off: a weight shrinks by a small factor per step, so count steps until the product is 1/2."
    else:
        hint = ("With zero gradient, w shrinks by a factor close to 1 − ε·λ/(1 − momentum) per step once the "
                "velocity has built up; solve (that factor)^n = 1/2.")
    return _report(False, f"{given:g} steps is not the half-life at ε = {lr:g}. {hint}")
