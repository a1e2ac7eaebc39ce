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


# --- the engine's guarantees, the four-column checkers, and the chapter's exercises ---------------

import math


@pytest.mark.parametrize("call", [
    lambda a: exercises.check_transfer_ms(128, a),
    lambda a: exercises.check_training_days(30.0, a),
    lambda a: exercises.check_process_share([10, 11, 12, 13], 1, 2, a),
    lambda a: exercises.check_columns_exchange_bytes(4, a),
    lambda a: exercises.check_grouped_kernel_depths(4, a),
])
@pytest.mark.parametrize("bad", [..., "lots"])
def test_malformed_answers_get_a_message_not_an_exception(capsys, call, bad):
    assert call(bad) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet.") and len(out) > 20
    if bad is ...:
        assert "Replace ..." in out


def test_training_days_checker_other_misconceptions_and_other_datasets(capsys):
    days = 90 * 1_281_167 / 30 / 86400
    assert not exercises.check_training_days(30.0, days * 86400)
    assert "seconds" in capsys.readouterr().out
    assert not exercises.check_training_days(30.0, days / 90)
    out = capsys.readouterr().out
    assert "one epoch" in out and f"{days:,.2f}" not in out
    assert exercises.check_training_days(30.0, 90 * 9_469 / 30 / 86400, images=9_469)
    assert not exercises.check_training_days(-3.0, 1.0)


# per image, forward: conv3 reads 256·13·13, fc6 9216, fc7 and fc8 4096 floats (layer sizes by hand)
_EXCHANGED = 256 * 13 * 13 + 9216 + 4096 + 4096


def _bytes_by_hand(columns):
    """Each GPU needs the (W − 1)/W of every exchanged input the others computed: W − 1 whole inputs
    in all; W − 1 columns send their 1000/W logits to the first GPU; 4 bytes a float."""
    return 4 * (columns - 1) * (_EXCHANGED + 1000 // columns)


def test_columns_exchange_checker_against_the_arithmetic_by_hand(capsys):
    assert _bytes_by_hand(2) == 244_688                      # the two-column count of the chapter
    assert exercises.check_columns_exchange_bytes(2, _bytes_by_hand(2))
    assert exercises.check_columns_exchange_bytes(4, _bytes_by_hand(4))
    assert exercises.check_columns_exchange_bytes(8, _bytes_by_hand(8))
    assert "Correct." in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (_bytes_by_hand(4) / 4, "floats"),
    (_bytes_by_hand(2), "two columns' count"),
    (4 * 3 * _EXCHANGED / 4, "one GPU receives"),
    (4 * 3 * _EXCHANGED, "logits of the other 3 columns"),
    (4 * (_EXCHANGED + 3 * 250), "W − 1 whole inputs"),
    (1e6, "Count, for each of conv3"),
])
def test_columns_exchange_misconceptions_have_their_hint_and_hide_the_truth(capsys, wrong, hint):
    assert not exercises.check_columns_exchange_bytes(4, wrong)
    out = capsys.readouterr().out
    assert hint in out and f"{_bytes_by_hand(4):,}" not in out and str(_bytes_by_hand(4)) not in out


def test_grouped_kernel_depths_checker(capsys):
    # conv2 reads pool1's 96 maps, conv4 and conv5 read 384 maps: a quarter of each with four groups
    assert exercises.check_grouped_kernel_depths(4, (96 // 4, 384 // 4, 384 // 4))
    assert exercises.check_grouped_kernel_depths(2, [48, 192, 192])      # the paper's §3.5 depths
    assert exercises.check_grouped_kernel_depths(1, [96, 384, 384])
    assert "Correct." in capsys.readouterr().out
    for wrong, hint in (((48, 192, 192), "paper's two columns"), ((96, 384, 384), "every layer connected"),
                        ((64, 96, 64), "numbers of kernels"), ((12, 48, 48), "its own column")):
        assert not exercises.check_grouped_kernel_depths(4, wrong)
        out = capsys.readouterr().out
        assert hint in out and "24, 96, 96" not in out
    assert not exercises.check_grouped_kernel_depths(5, (19, 76, 76))   # 96 maps do not split in 5
    assert "cannot be split" in capsys.readouterr().out
    assert not exercises.check_grouped_kernel_depths(4, (24, 96))


def test_every_exercise_of_the_chapter_passes_with_answers_worked_out_by_hand(capsys):
    import json
    import statistics
    from importlib.resources import files

    from alexnet_edu.exercises import chapter_exercises, check

    assert [e.label for e in chapter_exercises("33_full_imagenet_training")] == [
        "fullrun-transfer-ms", "fullrun-days", "fullrun-process-share", "fullrun-four-gpus"]
    assert check("fullrun-transfer-ms", exchange_ms_256=2 * (_EXCHANGED / 2 + 500) * 4 * 256 / 8e9 * 1e3)
    record = json.loads(files("alexnet_edu").joinpath("records", "train_imagenette.json").read_text())
    rate = statistics.median(r["images_per_s"] for r in record["history"])
    assert check("fullrun-days", days_median=90 * 1_281_167 / rate / 86_400)
    assert check("fullrun-process-share", share_process_2=[12, 16])
    assert check("fullrun-four-gpus", bytes_four_columns=_bytes_by_hand(4), depths_four_columns=(24, 96, 96))
    assert math.isclose(_bytes_by_hand(4) / _bytes_by_hand(2), 2.99, abs_tol=0.01)
    assert not check("fullrun-four-gpus", bytes_four_columns=_bytes_by_hand(4), depths_four_columns=(48, 192, 192))
