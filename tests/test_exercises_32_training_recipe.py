"""Checkers of chapter 32 (the training recipe): right answers pass, plausible wrong ones fail, and no
failure message gives the answer away."""

import math

import pytest
import torch

from alexnet_edu import exercises
from alexnet_edu.optim import PaperSGD

W, V, G, LR = 2.0, -0.03, 0.4, 0.01


def _by_hand(w, v, g, lr, decay=5e-4, momentum=0.9):
    """§5's rule written out: v ← 0.9·v − 0.0005·ε·w − ε·g, w ← w + v."""
    v_new = momentum * v - decay * lr * w - lr * g
    return w + v_new, v_new


def test_paper_sgd_step_checker_accepts_the_rule_and_the_package(capsys):
    w_new, v_new = _by_hand(W, V, G, LR)
    assert exercises.check_paper_sgd_step(W, V, G, LR, (w_new, v_new))
    assert exercises.check_paper_sgd_step(W, V, G, LR, [w_new, v_new])
    assert exercises.check_paper_sgd_step(W, V, G, LR, torch.tensor([w_new, v_new]))
    # the package's optimiser on a 1×1 weight gives the same numbers
    p = torch.nn.Parameter(torch.full((1, 1), W, dtype=torch.float64))
    opt = PaperSGD([p], lr=LR)
    opt.state[p]["velocity"] = torch.full((1, 1), V, dtype=torch.float64)
    p.grad = torch.full((1, 1), G, dtype=torch.float64)
    opt.step()
    assert exercises.check_paper_sgd_step(W, V, G, LR, (p.item(), opt.state[p]["velocity"].item()))
    # a bias is not decayed
    b_new, bv_new = _by_hand(W, V, G, LR, decay=0.0)
    assert exercises.check_paper_sgd_step(W, V, G, LR, (b_new, bv_new), bias=True)
    assert "Correct." in capsys.readouterr().out


@pytest.mark.parametrize("name, answer", [
    ("no weight decay", _by_hand(W, V, G, LR, decay=0.0)),
    ("decay without ε", (W + 0.9 * V - 5e-4 * W - LR * G, 0.9 * V - 5e-4 * W - LR * G)),
    ("PyTorch's buffer", (W - LR * (0.9 * V + G + 5e-4 * W), 0.9 * V + G + 5e-4 * W)),
    ("signs flipped", (W + 0.9 * V + 5e-4 * LR * W + LR * G, 0.9 * V + 5e-4 * LR * W + LR * G)),
    ("w minus v", (W - _by_hand(W, V, G, LR)[1], _by_hand(W, V, G, LR)[1])),
    ("old velocity in w", (W + V, _by_hand(W, V, G, LR)[1])),
    ("swapped", tuple(reversed(_by_hand(W, V, G, LR)))),
    ("way off", (0.0, 0.0)),
])
def test_paper_sgd_step_checker_rejects_plausible_mistakes_without_giving_the_answer(capsys, name, answer):
    assert not exercises.check_paper_sgd_step(W, V, G, LR, answer), name
    out = capsys.readouterr().out
    assert out.startswith("Not yet.")
    for truth in _by_hand(W, V, G, LR):
        if not any(math.isclose(a, truth) for a in answer):    # the checker may repeat the answer given
            assert f"{truth:g}" not in out and f"{truth:.4f}" not in out


def test_paper_sgd_step_checker_names_the_decayed_bias(capsys):
    assert not exercises.check_paper_sgd_step(W, V, G, LR, _by_hand(W, V, G, LR), bias=True)
    assert "Biases are not decayed" in capsys.readouterr().out


def test_paper_sgd_step_checker_rejects_bad_input(capsys):
    assert not exercises.check_paper_sgd_step(W, V, G, LR, 1.9)
    assert not exercises.check_paper_sgd_step(W, V, G, LR, (1.9, 0.1, 0.0))
    assert not exercises.check_paper_sgd_step(W, V, G, -0.1, (1.9, 0.1))
    assert not exercises.check_paper_sgd_step("w", V, G, LR, (1.9, 0.1))
    assert not exercises.check_paper_sgd_step(W, V, G, LR, (float("nan"), 0.1))


V_DROP, G_DROP, OLD, NEW = -0.02, 0.3, 0.01, 0.001


def _torch_and_paper_step_after_drop():
    """Run both optimisers for real: identical steps at OLD, then one step at NEW."""
    grads = [0.5, -0.2, 0.4, G_DROP]
    out = {}
    for name in ("paper", "pytorch"):
        p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        opt = (PaperSGD([p], lr=OLD, weight_decay=0.0) if name == "paper"
               else torch.optim.SGD([p], lr=OLD, momentum=0.9))
        before = []
        for i, g in enumerate(grads):
            if i == len(grads) - 1:
                opt.param_groups[0]["lr"] = NEW
            start = p.item()
            p.grad = torch.full((1,), g, dtype=torch.float64)
            opt.step()
            before.append(p.item() - start)
        out[name] = before
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(out["paper"][:-1], out["pytorch"][:-1]))
    return out["paper"][-2], out["paper"][-1], out["pytorch"][-1]


def test_step_after_drop_checker_agrees_with_both_optimisers(capsys):
    v, paper_step, torch_step = _torch_and_paper_step_after_drop()
    assert exercises.check_step_after_drop(v, G_DROP, OLD, NEW, "paper", paper_step)
    assert exercises.check_step_after_drop(v, G_DROP, OLD, NEW, "pytorch", torch_step)
    assert exercises.check_step_after_drop(V_DROP, G_DROP, OLD, NEW, "paper", 0.9 * V_DROP - NEW * G_DROP)
    assert exercises.check_step_after_drop(V_DROP, G_DROP, OLD, NEW, "pytorch",
                                           0.9 * V_DROP * NEW / OLD - NEW * G_DROP)
    # at a constant learning rate the two agree
    same = 0.9 * V_DROP - OLD * G_DROP
    assert exercises.check_step_after_drop(V_DROP, G_DROP, OLD, OLD, "paper", same)
    assert exercises.check_step_after_drop(V_DROP, G_DROP, OLD, OLD, "pytorch", same)
    assert "Correct." in capsys.readouterr().out


@pytest.mark.parametrize("convention, wrong", [
    ("paper", 0.9 * V_DROP * NEW / OLD - NEW * G_DROP),     # PyTorch's step
    ("pytorch", 0.9 * V_DROP - NEW * G_DROP),               # the paper's step
    ("paper", -NEW * G_DROP),                               # momentum forgotten
    ("paper", 0.9 * V_DROP - OLD * G_DROP),                 # old ε on the new gradient
    ("pytorch", V_DROP * NEW / OLD - NEW * G_DROP),         # momentum factor forgotten
    ("pytorch", 0.0),
])
def test_step_after_drop_checker_rejects_plausible_mistakes(capsys, convention, wrong):
    assert not exercises.check_step_after_drop(V_DROP, G_DROP, OLD, NEW, convention, wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet.")
    truth = (0.9 * V_DROP - NEW * G_DROP if convention == "paper" else 0.9 * V_DROP * NEW / OLD - NEW * G_DROP)
    assert f"{truth:g}" not in out


def test_step_after_drop_checker_rejects_bad_input():
    assert not exercises.check_step_after_drop(V_DROP, G_DROP, OLD, NEW, "caffe", 0.0)
    assert not exercises.check_step_after_drop(V_DROP, G_DROP, 0.0, NEW, "paper", 0.0)
    assert not exercises.check_step_after_drop(V_DROP, G_DROP, OLD, NEW, "paper", "small")


def _half_life_by_simulation(lr):
    """Steps of PaperSGD until a weight with zero gradient is at most half of where it started."""
    p = torch.nn.Parameter(torch.ones(1, 1, dtype=torch.float64))
    opt = PaperSGD([p], lr=lr)
    n = 0
    while p.item() > 0.5:
        p.grad = torch.zeros_like(p)
        opt.step()
        n += 1
    return n


def test_decay_half_life_checker_agrees_with_the_optimiser(capsys):
    steps = _half_life_by_simulation(0.01)
    assert 13_000 < steps < 14_500
    assert exercises.check_decay_half_life(steps)
    assert exercises.check_decay_half_life(steps, 0.01)
    continuous = math.log(2) * (1 - 0.9) / (0.01 * 5e-4)       # the continuous approximation passes
    assert exercises.check_decay_half_life(continuous)
    assert exercises.check_decay_half_life(10 * continuous, 0.001)
    assert "Correct." in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (math.log(2) / (0.01 * 5e-4), "Momentum"),                 # momentum forgotten: 10× too many
    (math.log(2) * (1 - 0.9) / 5e-4, "learning rate"),         # ε forgotten
    (math.log(2) / 5e-4, "learning rate"),
    (12_000, "1 − ε·λ/(1 − momentum)"),
    (5, "Far off"),
])
def test_decay_half_life_checker_rejects_plausible_mistakes(capsys, wrong, words):
    assert not exercises.check_decay_half_life(wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet.") and words in out
    assert "1386" not in out.replace(f"{wrong:g}", "")


def test_decay_half_life_checker_rejects_bad_input():
    assert not exercises.check_decay_half_life(-5)
    assert not exercises.check_decay_half_life("long")
    assert not exercises.check_decay_half_life(100, lr=0.0)


# --- the engine's guarantees, the schedule checkers, and the chapter's exercises ------------------

@pytest.mark.parametrize("call", [
    lambda a: exercises.check_paper_sgd_step(W, V, G, LR, a),
    lambda a: exercises.check_step_after_drop(V_DROP, G_DROP, OLD, NEW, "paper", a),
    lambda a: exercises.check_decay_half_life(a),
    lambda a: exercises.check_plateau_drops(3, a),
    lambda a: exercises.check_first_epoch_at_final_rate(3, a),
])
@pytest.mark.parametrize("bad", [..., "soon"])
def test_malformed_answers_get_a_message_not_an_exception(capsys, call, bad):
    assert call(bad) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet.") and len(out) > 20
    if bad is ...:
        assert "Replace ..." in out


def _drops_by_hand(patience, drops=3):
    """Epoch 1 is the best; each drop comes after patience + 1 epochs without a new best, and the
    count restarts after a drop."""
    return [1 + k * (patience + 1) for k in range(1, drops + 1)]


def _drops_by_torch(patience):
    """The same with torch's own ReduceLROnPlateau, set up by hand (factor 0.1, at most three drops)."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.01)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=patience, min_lr=0.99e-5)
    rates = []
    for epoch in range(1, 40):
        rates.append(opt.param_groups[0]["lr"])
        sched.step(0.5 if epoch == 1 else 0.6)
    return [e for e, (a, b) in enumerate(zip(rates, rates[1:]), start=1) if b < a * 0.5]


@pytest.mark.parametrize("patience", [0, 1, 3, 5])
def test_plateau_checkers_accept_the_schedule_worked_out_by_hand(capsys, patience):
    drops = _drops_by_hand(patience)
    assert drops == _drops_by_torch(patience)
    assert exercises.check_plateau_drops(patience, drops)
    assert exercises.check_plateau_drops(patience, tuple(drops))
    assert exercises.check_first_epoch_at_final_rate(patience, drops[-1] + 1)
    assert "Correct." in capsys.readouterr().out


@pytest.mark.parametrize("patience, wrong, hint", [
    (3, [4, 7, 10], "MORE than `patience`"),
    (3, [4, 8, 12], "Epoch 1 sets the best value"),
    (3, [5, 6, 7], "starts again from 0"),
    (3, [6, 10, 14], "AFTER which the rate drops"),
    (3, [5, 9, 13, 17], "at most 3 times"),
    (3, [5], "keeps dropping"),
    (3, [2, 4, 6], "count exceeds the patience"),
    (0, [1, 2, 3], "Epoch 1 sets the best value"),
    (0, [3, 4, 5], "AFTER which the rate drops"),
])
def test_plateau_drops_misconceptions_have_their_hint_and_hide_the_truth(capsys, patience, wrong, hint):
    assert not exercises.check_plateau_drops(patience, wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet.") and hint in out
    out = out.replace(str(wrong), "")                 # the checker repeats the answer given
    assert str(_drops_by_hand(patience)) not in out and ", ".join(map(str, _drops_by_hand(patience))) not in out


@pytest.mark.parametrize("wrong, hint", [(13, "last epoch at the rate before"), (11, "MORE than"),
                                         (20, "drops for the last time")])
def test_first_epoch_misconceptions_have_their_hint_and_hide_the_truth(capsys, wrong, hint):
    assert not exercises.check_first_epoch_at_final_rate(3, wrong)
    out = capsys.readouterr().out
    assert hint in out and "14" not in out


def test_plateau_checkers_refuse_bad_arguments():
    assert not exercises.check_plateau_drops(-1, [2, 3, 4])
    assert not exercises.check_plateau_drops(3, [5.5, 9, 13])
    assert not exercises.check_plateau_drops(3, [[5, 9, 13]])
    assert not exercises.check_first_epoch_at_final_rate("three", 14)


def _median_rate_by_hand():
    """Record (b)'s median epoch rate, read from the shipped JSON file without the package's helpers."""
    import json
    import statistics
    from importlib.resources import files

    record = json.loads(files("alexnet_edu").joinpath("records", "train_imagenette.json").read_text())
    return statistics.median(r["images_per_s"] for r in record["history"])


def test_every_exercise_of_the_chapter_passes_with_answers_worked_out_by_hand(capsys):
    from alexnet_edu.exercises import chapter_exercises, check

    assert [e.label for e in chapter_exercises("32_training_recipe")] == [
        "training-sgd-step", "training-step-after-drop", "training-decay-half-life", "training-earliest-drops",
        "training-how-long"]
    w, v = _by_hand(0.5, -0.002, 0.3, 0.01)
    b, vb = _by_hand(0.5, -0.002, 0.3, 0.01, decay=0.0)
    assert check("training-sgd-step", new_w=w, new_v=v, new_b=b, new_v_b=vb)
    assert check("training-step-after-drop", paper_dw=0.9 * -0.02 - 0.001 * 0.3,
                 torch_dw=-0.001 * (0.9 * 0.02 / 0.01 + 0.3))
    assert check("training-decay-half-life", half_life_01=math.log(2) * 0.1 / (0.01 * 5e-4),
                 half_life_001=math.log(2) * 0.1 / (0.001 * 5e-4))
    assert check("training-earliest-drops", drops_patience_3=[5, 9, 13], first_epoch_at_1e5=14,
                 drops_patience_0=[2, 3, 4])
    rate = _median_rate_by_hand()
    assert check("training-how-long", days_ilsvrc=90 * 1_281_167 / rate / 86_400,
                 days_nette=90 * 9_469 / rate / 86_400)
    assert not check("training-how-long", days_ilsvrc=90 * 1_281_167 / rate / 3_600,
                     days_nette=90 * 9_469 / rate / 86_400)
    assert "hours" in capsys.readouterr().out
