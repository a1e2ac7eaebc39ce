"""Checker of chapter 25's exercise on §1's "no more than 1%": right answers pass, plausible wrong ones fail."""

import torch

from alexnet_edu import exercises
from alexnet_edu.exercises.ch25_architecture import check_conv_param_share
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


def test_architecture_checkers(capsys):
    assert exercises.check_layer_params("conv2", 5 * 5 * 48 * 256 + 256)
    assert not exercises.check_layer_params("conv2", 5 * 5 * 96 * 256 + 256)
    assert "grouped" in capsys.readouterr().out
    assert not exercises.check_layer_params("fc6", 9216 * 4096)
    assert "bias" in capsys.readouterr().out
    assert not exercises.check_layer_params("pool1", 0)
    assert exercises.check_layer_macs("conv1", 55 * 55 * 96 * 11 * 11 * 3)
    assert not exercises.check_layer_macs("conv1", 55 * 55 * 96 * (11 * 11 * 3 + 1))
    # 256×13×13 maps into conv3, then 9216, 4096 and 4096 features into fc6, fc7, fc8
    assert exercises.check_column_exchange(256 * 13 * 13 + 9216 + 4096 + 4096)
    assert not exercises.check_column_exchange((256 * 13 * 13 + 9216 + 4096 + 4096) // 2)
    assert "one direction" in capsys.readouterr().out


def test_architecture_checkers_explain_more_mistakes_and_hide_the_answer(capsys):
    grouped = 5 * 5 * 48 * 256 + 256
    assert not exercises.check_layer_params("conv2", 5 * 5 * 96 * 256)       # ungrouped, no biases
    assert "grouped" in capsys.readouterr().out
    assert not exercises.check_layer_params("conv2", grouped + 1)            # a count is exact
    out = capsys.readouterr().out
    assert "Weights: kernels" in out and "307,456" not in out
    macs = 27 * 27 * 256 * 5 * 5 * 48
    assert exercises.check_layer_macs("conv2", macs)
    assert not exercises.check_layer_macs("conv2", 2 * macs)
    assert "grouped" in capsys.readouterr().out
    assert not exercises.check_layer_macs("conv2", grouped)
    assert "parameter count" in capsys.readouterr().out
    assert not exercises.check_layer_macs("fc8", 4096 * 1000 + 1000)
    out = capsys.readouterr().out
    assert "bias" in out and "4,096,000" not in out
    crossing = 256 * 13 * 13 + 9216 + 4096 + 4096
    assert not exercises.check_column_exchange(4 * crossing)
    assert "bytes" in capsys.readouterr().out
    assert not exercises.check_column_exchange(9216 + 4096 + 4096)
    assert "missing" in capsys.readouterr().out
    assert not exercises.check_column_exchange(crossing + 3 * 227 * 227)
    out = capsys.readouterr().out
    assert "Too many" in out and f"{crossing:,}" not in out
    for call in (lambda: exercises.check_layer_params("conv2", ...), lambda: exercises.check_layer_params("conv2", "many"),
                 lambda: exercises.check_layer_macs("conv1", "lots"), lambda: exercises.check_column_exchange(...),
                 lambda: check_conv_param_share(...)):
        assert not call()
        assert "Not yet." in capsys.readouterr().out


def _changed_by_hand(size, channels=256, groups=2):
    """Maps whose window of `size` (⌊size/2⌋ to each side) reaches across a column boundary."""
    half, reach = channels // groups, size // 2
    return {m for m in range(channels) if m // half != max(m - reach, 0) // half
            or m // half != min(m + reach, channels - 1) // half}


def test_lrn_boundary_maps_checker(capsys):
    assert _changed_by_hand(5) == {126, 127, 128, 129} and _changed_by_hand(7) == set(range(125, 131))
    assert exercises.check_lrn_boundary_maps(_changed_by_hand(5))
    assert exercises.check_lrn_boundary_maps(sorted(_changed_by_hand(7)), size=7)
    assert exercises.check_lrn_boundary_maps(torch.tensor(sorted(_changed_by_hand(3))), size=3)
    assert exercises.check_lrn_boundary_maps(_changed_by_hand(5, 96, 2), channels=96)
    assert "Correct." in capsys.readouterr().out
    cases = [({127, 128}, 5, "window of 3 maps"), (set(range(125, 131)), 5, "window of 7 maps"),
             ({126, 127, 128, 129}, 7, "window of 5 maps"), ({128, 129}, 5, "both sides"),
             ({126, 127}, 5, "both sides"), (set(range(256)), 5, "Only maps whose window"),
             ({0, 1, 254, 255}, 5, "Which maps' windows")]
    for answer, size, hint in cases:
        assert not exercises.check_lrn_boundary_maps(answer, size=size), (answer, size)
        out = capsys.readouterr().out
        assert "Not yet." in out and hint in out, (answer, out)
        right = sorted(_changed_by_hand(size))
        assert "{" + ", ".join(map(str, right)) + "}" not in out and str(right) not in out, out
    for bad in ("126-129", ..., {126.5}):
        assert not exercises.check_lrn_boundary_maps(bad)
        assert "Not yet." in capsys.readouterr().out
    assert not exercises.check_lrn_boundary_maps({1}, channels=255)       # 255 maps in 2 columns
    assert "cannot be split" in capsys.readouterr().out


def test_lrn_boundary_truth_does_not_touch_the_global_random_state():
    torch.manual_seed(5)
    before = torch.rand(3)
    torch.manual_seed(5)
    exercises.check_lrn_boundary_maps({126, 127, 128, 129})
    assert torch.equal(torch.rand(3), before)


def test_dropout_units_checker(capsys):
    torchvision_order = 0.5 * (256 * 6 * 6 + 4096)   # the inputs of fc6 and fc7
    paper_order = 0.5 * (4096 + 4096)                # their outputs
    assert exercises.check_dropout_units("torchvision", torchvision_order)
    assert exercises.check_dropout_units("paper", paper_order)
    assert exercises.check_dropout_units("Paper", 4096)
    assert "Correct." in capsys.readouterr().out
    cases = [("torchvision", 2 * torchvision_order, "probability"), ("paper", 2 * paper_order, "probability"),
             ("paper", torchvision_order, "OUTPUTS"), ("torchvision", paper_order, "INPUTS"),
             ("paper", 4097, "Count the units")]
    for order, answer, hint in cases:
        assert not exercises.check_dropout_units(order, answer), (order, answer)
        out = capsys.readouterr().out
        assert "Not yet." in out and hint in out, (order, answer, out)
        right = torchvision_order if order == "torchvision" else paper_order
        assert f"{right:,.0f}" not in out.split("units the", 1)[1], out
    for order, answer in (("paper", "half"), ("paper", ...), ("both", 4096)):
        assert not exercises.check_dropout_units(order, answer)
        assert "Not yet." in capsys.readouterr().out


def test_exercises_pass_with_right_answers_computed_by_hand(capsys):
    conv2 = torch.nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=2)
    out = conv2(torch.zeros(1, 96, 27, 27))
    assert exercises.check("arch-conv2-cost", conv2_params=sum(p.numel() for p in conv2.parameters()),
                           conv2_macs=out.numel() * conv2.weight[0].numel())
    assert exercises.check("arch-column-exchange", floats_crossing=256 * 13 * 13 + 256 * 6 * 6 + 4096 + 4096)
    assert exercises.check("arch-lrn2-boundary", lrn_changed_5=_changed_by_hand(5), lrn_changed_7=_changed_by_hand(7))
    assert exercises.check("arch-dropout-order", dropped_torchvision=(9216 + 4096) / 2, dropped_paper=(4096 + 4096) / 2)
    conv_params = {"conv1": 96 * 11 * 11 * 3 + 96, "conv2": 256 * 5 * 5 * 48 + 256, "conv3": 384 * 3 * 3 * 256 + 384,
                   "conv4": 384 * 3 * 3 * 192 + 384, "conv5": 256 * 3 * 3 * 192 + 256}
    assert exercises.check("arch-one-percent",
                           convs_above_1pct={n for n, p in conv_params.items() if p > 0.01 * 60_965_224})
    assert "Not yet." not in capsys.readouterr().out
