"""Checkers of chapter 33 (the full two-GPU run): right answers pass, plausible wrong ones fail."""

import pytest

from alexnet_edu import exercises


def test_transfer_time_checker_against_the_arithmetic_by_hand(capsys):
    # per image: 256·13·13 + 9216 + 4096 + 4096 floats cross (both directions), and 500 logits one way
    per_image = (256 * 13 * 13 + 9216 + 4096 + 4096) * 4
    batch = 128
    one_way = per_image * batch / 2 + 500 * 4 * batch  # the busier direction of one pass
    ms = 2 * one_way / 8e9 * 1e3  # forward and backward, 8 GB/s
    assert ms == pytest.approx(3.947, abs=0.001)
    assert exercises.check_transfer_ms(batch, ms)
    assert exercises.check_transfer_ms(batch, ms * 1.005)
    assert not exercises.check_transfer_ms(batch, ms * 2)
    assert "both directions at once" in capsys.readouterr().out
    assert not exercises.check_transfer_ms(batch, ms / 2)
    assert "backward" in capsys.readouterr().out
    assert not exercises.check_transfer_ms(batch, "fast")


def test_training_days_checker(capsys):
    assert exercises.check_training_days(30.0, 90 * 1_281_167 / 30 / 86400)
    assert not exercises.check_training_days(30.0, 90 * 1_281_167 / 30 / 3600)
    assert "hours" in capsys.readouterr().out
    assert not exercises.check_training_days(30.0, 90 * 1_200_000 / 30 / 86400)
    assert "1,281,167" in capsys.readouterr().out
    assert exercises.check_training_days(100.0, 10 * 1_281_167 / 100 / 86400, epochs=10)


def test_process_share_checker(capsys):
    batch = [10, 11, 12, 13, 14, 15, 16, 17]
    assert exercises.check_process_share(batch, 1, 4, [11, 15])
    assert not exercises.check_process_share(batch, 1, 4, [12, 13])
    assert "contiguous" in capsys.readouterr().out
    assert not exercises.check_process_share(batch, 1, 4, [15, 11])
    assert "wrong order" in capsys.readouterr().out
    assert exercises.check_process_share(batch[:5], 1, 2, [11, 13])  # a short last batch
