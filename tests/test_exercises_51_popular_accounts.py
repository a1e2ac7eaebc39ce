"""Checkers of chapter 51 (what popular accounts get wrong): right answers pass, plausible wrong
ones fail, and no failure message gives the answer away."""

import pytest

from alexnet_edu import exercises, paper
from alexnet_edu.claims import Verdict
from alexnet_edu.exercises.ch51_popular_accounts import (
    ACCOUNT_D_PARAMS,
    account_d_param_grade,
    check_account_param_claim,
    check_final_learning_rates,
    check_table2_test_entries,
    final_learning_rates,
)
from alexnet_edu.shapes import layer_shapes

PARAMS = {r.name: r.params for r in layer_shapes()}


def test_the_layer_counts_and_the_accounts_figures():
    # conv4: 384 kernels of 3·3·192 weights, one bias each
    assert PARAMS["conv4"] == 384 * 3 * 3 * 192 + 384 == 663_936
    assert set(ACCOUNT_D_PARAMS) == set(PARAMS) - {"lrn1", "pool1", "lrn2", "pool2", "pool5"}
    holds = {name: account_d_param_grade(name).verdict is Verdict.AGREES for name in ACCOUNT_D_PARAMS}
    # 307,456 ~ 307K, 37,752,832 ~ 38M, 16,781,312 ~ 16.8M, 4,097,000 ~ 4.1M; the other four do not
    assert holds == {"conv1": False, "conv2": True, "conv3": False, "conv4": False, "conv5": False,
                     "fc6": True, "fc7": True, "fc8": True}


@pytest.mark.parametrize("name", sorted(ACCOUNT_D_PARAMS))
def test_param_claim_right_answers_pass(name, capsys):
    holds = account_d_param_grade(name).verdict is Verdict.AGREES
    assert check_account_param_claim(name, PARAMS[name], holds)
    assert capsys.readouterr().out.startswith("Correct.")


def test_param_claim_wrong_answers_get_hints_without_the_answer(capsys):
    assert not check_account_param_claim("conv4", PARAMS["conv4"], True)      # right count, wrong call
    out = capsys.readouterr().out
    assert out.startswith("Not yet.") and "significant figures" in out and "664K" not in out
    assert not check_account_param_claim("conv4", 384 * 3 * 3 * 192, False)   # biases forgotten
    assert "bias" in capsys.readouterr().out
    ungrouped = 384 * 3 * 3 * 384 + 384
    assert not check_account_param_claim("conv4", ungrouped, False)           # grouping ignored
    out = capsys.readouterr().out
    assert "grouped" in out and "663,936" not in out
    assert not check_account_param_claim("conv4", 768_000, True)              # the account's figure
    assert "not the parameter count" in capsys.readouterr().out
    assert not check_account_param_claim("pool5", 0, True)
    assert "choose one of" in capsys.readouterr().out
    assert not check_account_param_claim("conv4", "many", True)
    assert "one integer" in capsys.readouterr().out
    assert not check_account_param_claim("conv4", PARAMS["conv4"], "no")
    assert "True or False" in capsys.readouterr().out


def test_table2_test_entries(capsys):
    truth = {"SIFT + FVs", "5 CNNs", "7 CNNs*"}
    assert truth == {n for n, (_, _, test) in paper.TABLE2_ILSVRC2012.items() if test is not None}
    assert check_table2_test_entries(truth)
    assert check_table2_test_entries([" 7 CNNs*", "5 CNNs", "SIFT + FVs"])   # any iterable, trimmed
    assert "15.3%" in capsys.readouterr().out
    assert not check_table2_test_entries(truth | {"1 CNN"})      # 40.7% and 18.2% are validation errors
    out = capsys.readouterr().out
    assert "1 CNN has validation errors only" in out
    assert not check_table2_test_entries({"7 CNNs*"})
    assert "missing" in capsys.readouterr().out
    assert not check_table2_test_entries("2 CNNs")
    assert "not a row of Table 2" in capsys.readouterr().out
    assert not check_table2_test_entries(42)
    assert "set of strings" in capsys.readouterr().out


def test_final_learning_rates(capsys):
    halving, paper_rate = final_learning_rates()
    assert halving == pytest.approx(0.01 / 2 ** 11) and paper_rate == pytest.approx(1e-5)
    assert check_final_learning_rates(0.01 * 0.5 ** 11, 0.01 * 0.1 ** 3)
    assert capsys.readouterr().out.startswith("Correct.")
    assert not check_final_learning_rates(0.01 * 0.5 ** 10, 1e-5)    # one halving short
    assert "Off by one halving" in capsys.readouterr().out
    assert not check_final_learning_rates(0.01 * 0.5 ** 11, 1e-4)    # two drops, not three
    out = capsys.readouterr().out
    assert "three times" in out and "Off by one" not in out
    assert not check_final_learning_rates(0.01 / 90, 1e-5)
    assert "not right" in capsys.readouterr().out
    assert not check_final_learning_rates("x", 1e-5)
    assert "two numbers" in capsys.readouterr().out
    assert not check_final_learning_rates(-1.0, 1e-5)
    assert "positive" in capsys.readouterr().out


def test_checkers_are_exported():
    for name in ("check_account_param_claim", "check_table2_test_entries", "check_final_learning_rates"):
        assert name in exercises.__all__ and getattr(exercises, name) is globals()[name]


# --- malformed answers and the chapter's exercises ---------------------------------------------------

from pathlib import Path

import nbformat

from alexnet_edu.editions import exercise_blocks, has_rubric
from alexnet_edu.exercises import check
from alexnet_edu.exercises.ch51_popular_accounts import EXERCISES

CHAPTER = Path(__file__).resolve().parents[1] / "book" / "51_popular_accounts.ipynb"


def test_checkers_take_malformed_answers_without_an_exception(capsys):
    assert not check_account_param_claim("conv4", ..., False)
    assert "Replace ..." in capsys.readouterr().out
    assert not check_account_param_claim("conv4", PARAMS["conv4"], ...)
    assert "Replace ..." in capsys.readouterr().out
    assert not check_account_param_claim("conv4", 663_936.5, False)
    assert "whole number" in capsys.readouterr().out
    assert not check_table2_test_entries({...})
    assert "Replace ..." in capsys.readouterr().out
    assert not check_table2_test_entries(...)
    assert "Replace ..." in capsys.readouterr().out
    assert not check_final_learning_rates(..., 1e-5)
    assert "Replace ..." in capsys.readouterr().out


def test_the_catalogue_lists_the_chapters_exercises_in_order():
    nb = nbformat.read(CHAPTER, as_version=4)
    blocks = exercise_blocks(nb)
    assert [b.label for b in blocks] == [e.label for e in EXERCISES]
    assert "accounts-inconclusive" in {b.label for b in blocks if has_rubric(nb, b)}
    assert [e.label for e in EXERCISES if not e.auto] == ["accounts-inconclusive"]


def test_the_exercises_pass_with_answers_worked_out_by_hand(capsys):
    # 384 kernels of 3·3·192 weights and one bias each: 663,936, which is 664K, not 768K
    assert check("accounts-conv4", conv4_params=384 * 3 * 3 * 192 + 384, conv4_claim_holds=False)
    assert check("accounts-table2", test_rows={"SIFT + FVs", "5 CNNs", "7 CNNs*"})
    # halved after epochs 8, 16, …, 88: 11 times; divided by 10 three times
    assert check("accounts-schedule", final_lr_halving=0.01 / 2 ** 11, final_lr_paper=0.01 / 10 ** 3)
    assert "Not yet." not in capsys.readouterr().out
    assert not check("accounts-conv4", conv4_params=384 * 3 * 3 * 192 + 384, conv4_claim_holds=True)
    assert not check("accounts-schedule", final_lr_halving=0.01 / 2 ** 11, final_lr_paper=1e-4)
    assert not check("accounts-inconclusive")
    assert "in words" in capsys.readouterr().out
