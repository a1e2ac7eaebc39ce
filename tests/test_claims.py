"""The book's one verdict scale (alexnet_edu.claims): its rules, the claims it grades from the
records, the scoreboard page made from them, and that no chapter grades a claim any other way."""

from __future__ import annotations

import io
import json
import math
import re
import tokenize
from pathlib import Path

import pytest

from alexnet_edu import claims
from alexnet_edu.claims import Verdict, grade

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))
WORDS = re.compile(r"\b(agrees|disagrees|partly|inconclusive)\b", re.I)


# --- the scale's rules, on effects whose verdict follows from the definitions -------------------

def test_an_effect_beyond_the_noise_in_the_papers_direction_agrees_within_a_factor_of_two():
    # per-seed effects -0.10 and -0.12: mean -0.11, sd 0.0141, s.e. 0.01, noise 0.02
    assert grade([-0.10, -0.12], -0.11).verdict is Verdict.AGREES
    assert grade([-0.10, -0.12], -0.056).verdict is Verdict.AGREES    # 1.96 times the paper's
    assert grade([-0.10, -0.12], -0.054).verdict is Verdict.PARTLY    # 2.04 times: larger
    assert grade([-0.10, -0.12], -0.23).verdict is Verdict.PARTLY     # 0.48 times: smaller
    g = grade([-0.10, -0.12], -0.11)
    assert math.isclose(g.noise, 0.02)     # twice the s.e. 0.0141 / √2
    assert math.isclose(g.size, 1.0) and g.per_seed == (-0.10, -0.12)


def test_an_effect_within_the_noise_is_inconclusive_and_one_against_the_paper_disagrees():
    assert grade([-0.01, 0.03], -0.02).verdict is Verdict.INCONCLUSIVE       # mean 0.01, noise 0.04
    assert grade([0.10, 0.12], -0.02).verdict is Verdict.DISAGREES
    # the sampling error of the test set widens the noise when the seeds happen to agree closely
    assert grade([-0.010, -0.011], -0.01).verdict is Verdict.AGREES
    assert grade([-0.010, -0.011], -0.01, sampling_se=0.006).verdict is Verdict.INCONCLUSIVE


def test_one_seed_without_a_sampling_error_has_no_noise_to_judge_by():
    g = grade([5.0], 6.0, ratio=True)
    assert g.verdict is Verdict.INCONCLUSIVE and g.noise is None
    assert grade([-0.05], -0.04, sampling_se=0.01).verdict is Verdict.AGREES   # noise 0.02


def test_a_claim_without_a_size_is_graded_on_its_direction():
    assert grade([0.11, 0.12], expect=1).verdict is Verdict.AGREES
    assert grade([0.11, 0.12], expect=-1).verdict is Verdict.DISAGREES
    with pytest.raises(ValueError, match="direction"):
        grade([0.11, 0.12])


def test_ratios_are_graded_on_their_logarithms():
    # 3x and 3x against the paper's 2x: same direction (above 1), 1.58 times its log-size
    assert grade([3.0, 3.0 * (1 + 1e-9)], 2.0, ratio=True).verdict is Verdict.AGREES
    assert grade([0.5, 0.5 * (1 + 1e-9)], 2.0, ratio=True).verdict is Verdict.DISAGREES
    assert grade([5.0, 5.0 * (1 + 1e-9)], 2.0, ratio=True).verdict is Verdict.PARTLY    # log 5 / log 2 = 2.3
    with pytest.raises(ValueError, match="positive"):
        grade([0.0, 1.0], 2.0, ratio=True)


def test_runs_cut_short_bound_the_effect_and_the_verdict_says_only_what_the_bound_allows():
    tight = [1.5, 1.5 * (1 + 1e-9)]
    # at least 1.5x: the direction is settled, the size (within 1.41x..4x of log 2?) is not
    assert grade(tight, 2.0, ratio=True, bound="lower").verdict is Verdict.INCONCLUSIVE
    # at least 5x against 2x: larger than twice the paper's size whatever the true value
    assert grade([5.0, 5.0], 2.0, ratio=True, bound="lower").verdict is Verdict.PARTLY
    # at most 0.8x: below 1, the other direction
    assert grade([0.8, 0.8], 2.0, ratio=True, bound="upper").verdict is Verdict.DISAGREES
    assert grade([3.0, 3.0], 2.0, ratio=True, bound="none").verdict is Verdict.INCONCLUSIVE
    with pytest.raises(ValueError, match="bound"):
        grade(tight, 2.0, ratio=True, bound="maybe")


def test_a_printed_number_agrees_only_at_the_papers_precision():
    assert grade(60_965_224, 60e6, significant=1).verdict is Verdict.AGREES
    assert grade(60_965_224, 60e6, significant=2).verdict is Verdict.DISAGREES   # 61 million
    assert grade(54, 55, significant=2).verdict is Verdict.DISAGREES
    assert grade(1e-3, 1e-4, significant=1).verdict is Verdict.DISAGREES        # "10e-4" is 10^-3
    with pytest.raises(ValueError, match="one value"):
        grade([1.0, 2.0], 1.0, significant=1)


def test_a_grade_prints_ours_beside_the_papers_with_the_noise_and_the_reason():
    text = str(grade([-0.10, -0.12], -0.11, unit="%"))
    assert text.startswith("ours −11.0% (2 seeds: −10.0%, −12.0%), noise ±2.0%; paper −11.0%")
    assert "VERDICT: AGREES" in text


# --- the claims, graded from the shipped records ------------------------------------------------

@pytest.mark.parametrize("claim_id", sorted(claims.CLAIMS))
def test_every_claim_is_graded_from_the_records_and_its_chapter_grades_it(claim_id):
    claim = claims.CLAIMS[claim_id]
    g = claims.evaluate(claim_id)
    assert isinstance(g.verdict, Verdict) and g.reason
    assert claim.scale(None)
    chapter = BOOK / f"{claim.chapter}.ipynb"
    assert chapter.exists(), f"{claim_id}: no chapter {chapter.name}"
    code = "\n".join("".join(c["source"]) for c in json.loads(chapter.read_text())["cells"]
                     if c["cell_type"] == "code")
    calls = " ".join(re.findall(r"claims\.(?:evaluate|report)\(([^)]*)\)", code))
    assert claim_id in re.findall(r"[\"']([a-z0-9-]+)[\"']", calls), (
        f"{chapter.name} does not grade {claim_id} with claims.evaluate or claims.report")


def test_a_claim_is_graded_from_a_users_own_record_in_its_place(tmp_path):
    shipped = json.loads((ROOT / "alexnet_edu" / "records" / "ten_crop.json").read_text())
    for run in shipped["runs"]:   # a remade record in which ten patches do not help at all
        run["test"]["ten"] = dict(run["test"]["centre"])
    (tmp_path / "ten_crop.json").write_text(json.dumps(shipped))
    assert claims.evaluate("ten-crop-top1").verdict is Verdict.AGREES
    mine = claims.evaluate("ten-crop-top1", folder=str(tmp_path))
    assert mine.ours == 0 and mine.verdict is Verdict.INCONCLUSIVE


def test_an_unknown_claim_names_the_known_ones():
    with pytest.raises(KeyError, match="lrn-cifar"):
        claims.evaluate("no-such-claim")


def test_the_scoreboard_page_is_fresh():
    page = (BOOK / "50_scoreboard.md").read_text()
    assert page == claims.scoreboard(), (
        f"book/50_scoreboard.md is stale: the records or the claims changed. Run: {claims.SCOREBOARD_COMMAND}")


def test_the_scoreboard_lists_every_claim_with_its_chapter():
    page = claims.scoreboard()
    rows = [line for line in page.splitlines() if line.startswith("| ") and "{doc}" in line]
    assert len(rows) == len(claims.CLAIMS)
    for claim in claims.CLAIMS.values():
        assert any(claim.says in row and f"{{doc}}`{claim.chapter}`" in row for row in rows), claim.id


# --- no chapter grades a claim any other way ----------------------------------------------------

def _string_literals(source: str) -> list[str]:
    lines = [line if not line.lstrip().startswith(("%", "!")) else "" for line in source.splitlines()]
    out = []
    for token in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
        if token.type == tokenize.STRING or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            out.append(token.string)
    return out


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_chapter_types_a_verdict_of_its_own(chapter):
    """Verdicts come from alexnet_edu.claims (evaluate, grade, Verdict): no chapter's code spells a
    verdict word in a string or defines a verdict rule of its own."""
    found = []
    for i, cell in enumerate(json.loads(chapter.read_text())["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        for literal in _string_literals(source):
            if WORDS.search(literal):
                found.append(f"cell {i}: string {literal[:60]!r}")
        for name in re.findall(r"def\s+(\w*verdict\w*)", source, flags=re.I):
            found.append(f"cell {i}: def {name}")
    assert not found, f"{chapter.name} grades claims by itself; use alexnet_edu.claims:\n" + "\n".join(found)


def test_the_word_test_finds_what_it_should():
    literals = _string_literals('x = "agrees"  # a comment that agrees\n%pip install x\nprint(f"VERDICT {v}")')
    assert literals == ['"agrees"', 'f"VERDICT {v}"']
    assert WORDS.search("the direction Agrees") and not WORDS.search("a disagreement, partlyx")


# --- the measurements behind the grades -------------------------------------------------------

def test_train_error_at_weights_the_ticks_of_the_last_window_by_their_length():
    ticks = [{"epoch": 0.5, "train_error": 0.9}, {"epoch": 0.8, "train_error": 0.5},
             {"epoch": 1.0, "train_error": 0.2}]
    # window 0.3 before epoch 1: the ticks ending at 0.8 (length 0.3) and 1.0 (length 0.2)
    assert claims.train_error_at(ticks, 1.0) == pytest.approx((0.3 * 0.5 + 0.2 * 0.2) / 0.5)
    assert claims.train_error_at(ticks, 1.0, window=0.1) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="no tick"):
        claims.train_error_at(ticks, 3.0)


def test_converged_epoch_is_the_first_within_the_margin_of_the_lowest():
    assert claims.converged_epoch([0.5, 0.40, 0.303, 0.30, 0.31]) == 3      # 0.303 ≤ 0.30 + 0.005
    assert claims.converged_epoch([0.5, 0.40, 0.31, 0.30], within=0.001) == 4


def test_the_command_writes_the_scoreboard_page(tmp_path, capsys):
    from alexnet_edu.cli import main

    out = tmp_path / "board.md"
    assert main(["scoreboard", "--out", str(out)]) == 0
    assert out.read_text() == claims.scoreboard()
    assert main(["scoreboard"]) == 0 and capsys.readouterr().out.endswith(claims.scoreboard())
