"""Checkers of chapter 31 (dropout): right answers pass, plausible wrong ones fail, and no failure
message gives the answer away."""

import math

import pytest
import torch

from alexnet_edu import exercises
from alexnet_edu.layers import PaperDropout
from alexnet_edu.model import AlexNet


def test_subnetworks_checker_counts_fc6_and_fc7_of_the_model(capsys):
    model = AlexNet(num_classes=10, init=False)
    drops = [name for name, m in model.named_modules() if isinstance(m, torch.nn.Dropout)]
    assert drops == ["drop6", "drop7"]
    units = model.fc6.out_features + model.fc7.out_features          # the layers dropout acts on
    assert exercises.check_dropout_subnetworks(units * math.log10(2))
    assert exercises.check_dropout_subnetworks(2466.04)
    assert exercises.check_dropout_subnetworks(2466.03)               # within the stated two decimals
    assert "Correct." in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [8192, 8192 * math.log(2), 4096 * math.log10(2), math.log10(8192), 2466.2, -1])
def test_subnetworks_checker_rejects_plausible_mistakes(capsys, wrong):
    assert not exercises.check_dropout_subnetworks(wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet.") and "2466.0" not in out


def test_subnetworks_checker_with_other_units_and_bad_input(capsys):
    assert exercises.check_dropout_subnetworks(2048 * math.log10(2), units=2048)
    assert not exercises.check_dropout_subnetworks(2466.04, units=2048)
    assert not exercises.check_dropout_subnetworks(2 ** 8192)          # the count itself: too large
    assert "logarithm" in capsys.readouterr().out
    assert not exercises.check_dropout_subnetworks("many")
    assert not exercises.check_dropout_subnetworks(1.0, units=0)


def _factor_by_layers(p, convention, phase):
    """The factor, measured on the package's PaperDropout and on torch.nn.Dropout."""
    layer = PaperDropout(p) if convention == "paper" else torch.nn.Dropout(p)
    x = torch.ones(10_000, dtype=torch.float64)
    if phase == "test":
        return layer.eval()(x)[0].item()
    torch.manual_seed(0)
    out = layer.train()(x)
    return out[out != 0][0].item()


@pytest.mark.parametrize("p", [0.5, 0.3, 0.1, 0.0])
@pytest.mark.parametrize("convention", ["paper", "inverted"])
@pytest.mark.parametrize("phase", ["train", "test"])
def test_factor_checker_agrees_with_the_layers(p, convention, phase):
    assert exercises.check_dropout_factor(p, convention, phase, _factor_by_layers(p, convention, phase))


@pytest.mark.parametrize("convention, phase, wrong", [
    ("paper", "test", 0.3),          # p instead of 1 − p
    ("paper", "test", 0.5),          # the paper's number for its own p
    ("paper", "test", 1.0),          # the other convention's test factor
    ("inverted", "train", 1 / 0.3),  # 1/p instead of 1/(1 − p)
    ("inverted", "train", 0.7),
    ("inverted", "test", 0.7),       # the paper's test factor
    ("paper", "train", 1 / 0.7),     # the inverted convention's training factor
])
def test_factor_checker_rejects_plausible_mistakes(capsys, convention, phase, wrong):
    assert not exercises.check_dropout_factor(0.3, convention, phase, wrong)
    assert capsys.readouterr().out.startswith("Not yet.")


def test_factor_checker_rejects_bad_arguments():
    assert not exercises.check_dropout_factor(1.0, "paper", "test", 0.0)
    assert not exercises.check_dropout_factor(0.3, "caffe", "test", 0.7)
    assert not exercises.check_dropout_factor(0.3, "paper", "eval", 0.7)
    assert not exercises.check_dropout_factor(0.3, "paper", "test", "seven tenths")


@pytest.mark.parametrize("convention", ["paper", "inverted"])
def test_moment_checker_agrees_with_a_simulation(convention):
    h, p = 3.0, 0.3
    layer = PaperDropout(p) if convention == "paper" else torch.nn.Dropout(p)
    torch.manual_seed(0)
    out = layer.train()(torch.full((1_000_000,), h, dtype=torch.float64))
    c = 1.0 if convention == "paper" else 1 / (1 - p)
    mean, variance = c * (1 - p) * h, c * c * p * (1 - p) * h * h
    assert abs(out.mean().item() - mean) < 0.01 and abs(out.var().item() - variance) < 0.02
    assert exercises.check_dropout_moment(h, p, convention, "mean", mean)
    assert exercises.check_dropout_moment(h, p, convention, "variance", variance)


@pytest.mark.parametrize("convention, moment, wrong", [
    ("paper", "mean", 3.0),                        # the inverted convention's mean
    ("paper", "mean", 0.9),                        # p·h
    ("inverted", "mean", 2.1),                     # the paper's mean
    ("paper", "variance", 0.63),                   # p(1 − p)·h: forgot the square of h
    ("paper", "variance", math.sqrt(1.89)),        # the standard deviation
    ("paper", "variance", 6.3),                    # E[output²]
    ("inverted", "variance", 1.89),                # the paper's variance
    ("inverted", "variance", 9 * 0.3 / 0.7 ** 0.5),
])
def test_moment_checker_rejects_plausible_mistakes(capsys, convention, moment, wrong):
    assert not exercises.check_dropout_moment(3, 0.3, convention, moment, wrong)
    assert capsys.readouterr().out.startswith("Not yet.")


def test_moment_checker_rejects_bad_arguments():
    assert not exercises.check_dropout_moment(3, 0.3, "paper", "skew", 0.0)
    assert not exercises.check_dropout_moment(3, -0.1, "paper", "mean", 3.0)
    assert not exercises.check_dropout_moment("three", 0.3, "paper", "mean", 2.1)


# --- the engine's guarantees and the chapter's exercises ------------------------------------------

@pytest.mark.parametrize("call", [
    lambda a: exercises.check_dropout_subnetworks(a),
    lambda a: exercises.check_dropout_factor(0.3, "paper", "test", a),
    lambda a: exercises.check_dropout_moment(3, 0.3, "inverted", "variance", a),
])
@pytest.mark.parametrize("bad", [..., "seven", [1.0, 2.0]])
def test_malformed_answers_get_a_message_not_an_exception(capsys, call, bad):
    assert call(bad) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet.") and len(out) > 20
    if bad is ...:
        assert "Replace ..." in out


@pytest.mark.parametrize("wrong, hint", [
    (8192, "base-2 logarithm"),
    (8192 * math.log(2), "natural logarithm"),
    (4096 * math.log10(2), "every layer with dropout"),
    (math.log10(8192), "one neuron at a time"),
    (2 ** 8192, "too large for a float"),
    (1e9, "the count itself"),
])
def test_subnetworks_misconceptions_have_their_hint(capsys, wrong, hint):
    assert not exercises.check_dropout_subnetworks(wrong)
    out = capsys.readouterr().out
    assert hint in out and "2466.04" not in out


@pytest.mark.parametrize("convention, phase, wrong, hint", [
    ("paper", "test", 0.3, "probability of keeping"),
    ("inverted", "train", 1 / 0.3, "probability of keeping"),
    ("paper", "test", 0.5, "the paper's factor"),
    ("paper", "test", 1.0, "other phase"),
    ("paper", "train", 1 / 0.7, "other convention"),
    ("paper", "test", 0.9, "expected output"),
])
def test_factor_misconceptions_have_their_hint_and_hide_the_truth(capsys, convention, phase, wrong, hint):
    assert not exercises.check_dropout_factor(0.3, convention, phase, wrong)
    out = capsys.readouterr().out
    assert hint in out
    truth = {("paper", "train"): 1.0, ("paper", "test"): 0.7, ("inverted", "train"): 1 / 0.7,
             ("inverted", "test"): 1.0}[convention, phase]
    assert f"is {truth:.4g}" not in out


@pytest.mark.parametrize("convention, moment, wrong, hint", [
    ("paper", "mean", 3.0, "other convention"),
    ("paper", "mean", 0.9, "probability 1 − p"),
    ("paper", "variance", math.sqrt(1.89), "standard deviation"),
    ("paper", "variance", 0.63, "proportional to h²"),
    ("paper", "variance", 6.3, "E[output²]"),
    ("inverted", "variance", 1.89, "other convention"),
    ("paper", "variance", 1.0, "Bernoulli"),
])
def test_moment_misconceptions_have_their_hint_and_hide_the_truth(capsys, convention, moment, wrong, hint):
    assert not exercises.check_dropout_moment(3, 0.3, convention, moment, wrong)
    out = capsys.readouterr().out
    assert hint in out
    truth = {("paper", "mean"): 2.1, ("paper", "variance"): 1.89, ("inverted", "mean"): 3.0,
             ("inverted", "variance"): 9 * 0.3 / 0.7}[convention, moment]
    assert f"{truth:.4g}" not in out.replace(f"{wrong:g}", "")


def test_every_exercise_of_the_chapter_passes_with_answers_worked_out_by_hand(capsys):
    from alexnet_edu.exercises import chapter_exercises, check

    assert [e.label for e in chapter_exercises("31_dropout")] == [
        "dropout-subnetworks", "dropout-factor", "dropout-moments", "dropout-exact-one-layer"]
    assert check("dropout-subnetworks", log10_subnetworks=8192 * math.log10(2),
                 log10_subnetworks_small=2048 * 0.30103)
    assert check("dropout-factor", paper_train_factor=1, paper_test_factor=0.7,
                 inverted_train_factor=10 / 7, inverted_test_factor=1)
    assert check("dropout-moments", paper_mean=0.7 * 3, paper_variance=0.3 * 0.7 * 9,
                 inverted_mean=3, inverted_variance=9 * 0.3 / 0.7)
    assert not check("dropout-factor", paper_train_factor=1, paper_test_factor=0.3,
                     inverted_train_factor=10 / 7, inverted_test_factor=1)
    assert not check("dropout-exact-one-layer")          # answered in words: graded by hand
    assert "rubric" in capsys.readouterr().out
