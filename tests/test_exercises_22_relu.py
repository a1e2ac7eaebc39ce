"""Checkers of chapter 22 (ReLU): right answers pass, plausible wrong ones fail with their hint,
malformed answers fail with a message, and a wrong answer never prints the right one."""

import json
import math
from pathlib import Path

import pytest

from alexnet_edu import exercises
from alexnet_edu.exercises import check

ZS = [0.5, 1.0, 2.0, 0.1, 3.0]


def _slope(z):
    return 1 - math.tanh(z) ** 2


def _phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def test_tanh_derivative(capsys):
    assert exercises.check_tanh_derivative(1.0, _slope(1.0))
    t = math.tanh(1.5)
    sig = 1 / (1 + math.exp(-1.5))
    for answer, hint in ((t, "tanh(x) itself"), (1 - t, "Square tanh"), (1 - 1.5 ** 2, "not x"),
                         (1 / math.cosh(1.5), "sech"), (sig * (1 - sig), "sigmoid"), (0.3, "1 − tanh²(x)")):
        assert not exercises.check_tanh_derivative(1.5, answer), answer
        out = capsys.readouterr().out
        assert "Not yet." in out and hint in out, (answer, out)
        assert f"{_slope(1.5):.4g}" not in out
    for bad in ("steep", ..., [1.0, 2.0]):
        assert not exercises.check_tanh_derivative(1.5, bad)
        assert "Not yet." in capsys.readouterr().out


def test_relu_active_fraction(capsys):
    assert exercises.check_relu_active_fraction(0.0, 1.0, 0.5)
    assert exercises.check_relu_active_fraction(-0.5, 1.0, 0.309)          # three decimals of Φ(−0.5)
    capsys.readouterr()
    for answer, hint in ((0.5, "zero mean"), (100 * _phi(-0.5), "percentage"),
                         (1 - _phi(-0.5), "inactive"), (0.2, "Standardise")):
        assert not exercises.check_relu_active_fraction(-0.5, 1.0, answer), answer
        out = capsys.readouterr().out
        assert hint in out and "0.3085" not in out, (answer, out)
    assert not exercises.check_relu_active_fraction(0.0, 0.0, 0.5)
    assert not exercises.check_relu_active_fraction(0.0, 1.0, "half")
    assert not exercises.check_relu_active_fraction(0.0, 1.0, ...)
    assert "Replace ..." in capsys.readouterr().out


def test_tanh_chain_derivative(capsys):
    slopes = [_slope(z) for z in ZS]
    truth = math.prod(slopes)
    assert exercises.check_tanh_chain_derivative(ZS, truth)
    capsys.readouterr()
    cases = [(sum(slopes), "multiplies the slopes"), (math.prod(math.tanh(z) for z in ZS), "values tanh(z)"),
             (math.prod(1 - z * z for z in ZS), "not 1 − z²"), (truth / slopes[2], "One layer is missing"),
             (1.0, "one per layer")]
    for answer, hint in cases:
        assert not exercises.check_tanh_chain_derivative(ZS, answer), answer
        out = capsys.readouterr().out
        assert hint in out and f"{truth:.3g}" not in out, (answer, out)
    assert not exercises.check_tanh_chain_derivative([], 1.0)
    assert not exercises.check_tanh_chain_derivative(["a"], 1.0)
    assert not exercises.check_tanh_chain_derivative(ZS, "tiny")


def _figure1():
    """The record read as plain JSON, without the package: the fewest epochs per nonlinearity."""
    data = json.loads((Path(__file__).parents[1] / "alexnet_edu" / "records" / "figure1.json").read_text())
    fastest = {}
    for run in data["runs"]:
        act, e = run["config"]["activation"], run["epochs_to_target"]
        if e is not None and (act not in fastest or e < fastest[act][0]):
            fastest[act] = (e, run["lr"])
    return data, fastest


def test_figure1_fastest(capsys):
    data, fastest = _figure1()
    (relu, relu_lr), (tanh, tanh_lr) = fastest["relu"], fastest["tanh"]
    assert exercises.check_figure1_fastest(relu, tanh, tanh / relu, relu_lr, tanh_lr)
    capsys.readouterr()
    # the inverse ratio, and the two nonlinearities swapped
    assert not exercises.check_figure1_fastest(relu, tanh, relu / tanh, relu_lr, tanh_lr)
    out = capsys.readouterr().out
    assert "tanh's over ReLU's" in out and f"{tanh / relu:.3g}" not in out
    assert not exercises.check_figure1_fastest(tanh, relu, tanh / relu, tanh_lr, relu_lr)
    out = capsys.readouterr().out
    assert "That is tanh's fastest run" in out and "learning rate of ReLU's fastest run" in out
    slower = [r for r in data["runs"] if r["config"]["activation"] == "relu" and r["epochs_to_target"]
              and r["epochs_to_target"] > relu]
    if slower:
        assert not exercises.check_figure1_fastest(slower[0]["epochs_to_target"], tanh, tanh / relu, relu_lr, tanh_lr)
        assert "minimum over the runs" in capsys.readouterr().out
    assert not exercises.check_figure1_fastest(relu, tanh, tanh - relu, relu_lr, tanh_lr)
    assert "difference" in capsys.readouterr().out
    assert not exercises.check_figure1_fastest(relu, tanh, ..., relu_lr, tanh_lr)
    assert "Replace ..." in capsys.readouterr().out
    assert not exercises.check_figure1_fastest("five", tanh, tanh / relu, relu_lr, tanh_lr)


def test_exercises_pass_with_right_answers():
    _, fastest = _figure1()
    (relu, relu_lr), (tanh, tanh_lr) = fastest["relu"], fastest["tanh"]
    assert check("relu-tanh-slope", tanh_slope=_slope(1.5))
    assert check("relu-active-fraction", active_centred=0.5, active_biased=_phi(-0.5))
    assert check("relu-tanh-chain", chain_factor=math.prod(_slope(z) for z in ZS))
    assert check("relu-read-record", relu_fewest_epochs=relu, tanh_fewest_epochs=tanh,
                 speedup_from_runs=tanh / relu, relu_best_lr=relu_lr, tanh_best_lr=tanh_lr)
    assert not check("relu-normalisation-dying")   # answered in words


@pytest.mark.parametrize("label", ["relu-tanh-slope", "relu-active-fraction", "relu-tanh-chain", "relu-read-record"])
def test_unfilled_answers_fail_with_a_message(label, capsys):
    names = exercises.CATALOGUE[label].answers
    assert not check(label, **{n: ... for n in names})
    assert "Replace ..." in capsys.readouterr().out
