"""Checker of chapter 25's exercise on §1's "no more than 1%": right answers pass, plausible wrong ones fail."""

from alexnet_edu import exercises
from alexnet_edu.exercises.architecture import check_conv_param_share
from alexnet_edu.shapes import layer_shapes


def test_conv_param_share_right_answer(capsys):
    # conv3: 384·3·3·256 + 384 = 885,120; conv4: 384·3·3·192 + 384 = 663,936; 1% of 60,965,224 = 609,652
    assert check_conv_param_share({"conv3", "conv4"})
    out = capsys.readouterr().out
    assert out.startswith("Correct.") and "1.45%" in out and "1.09%" in out
    assert check_conv_param_share(["CONV4", " conv3 "])          # any iterable, any case, spaces trimmed


def test_conv_param_share_other_bounds_are_computed():
    total = sum(r.params for r in layer_shapes())
    assert total == 60_965_224
    assert check_conv_param_share(set(), share=0.02)               # conv3, the largest, holds 1.45%
    # conv2 (307,456) is just above 0.5% (304,826); conv1 (34,944) is not
    assert check_conv_param_share({"conv2", "conv3", "conv4", "conv5"}, share=0.005)
    assert check_conv_param_share("conv3", share=0.012)            # a single name on its own


def test_conv_param_share_wrong_answers_get_hints(capsys):
    assert not check_conv_param_share({"conv3"})
    out = capsys.readouterr().out
    assert out.startswith("Not yet.") and "missing" in out and "conv4" not in out   # the answer stays hidden
    assert not check_conv_param_share({"conv3", "conv4", "conv5"})
    assert "conv5 is grouped" in capsys.readouterr().out
    assert not check_conv_param_share({"conv1", "conv3", "conv4"})
    assert "conv1 holds less" in capsys.readouterr().out
    assert not check_conv_param_share(set())
    assert "missing" in capsys.readouterr().out
    assert not check_conv_param_share({"fc6"})
    assert "convolutional layers only" in capsys.readouterr().out
    assert not check_conv_param_share(42)
    assert "set of strings" in capsys.readouterr().out


def test_conv_param_share_is_exported():
    assert "check_conv_param_share" in exercises.__all__
    assert exercises.check_conv_param_share is check_conv_param_share
