"""The book's explorers: their numbers against independent computations, their figures and widgets."""

import math

import ipywidgets
import matplotlib
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.text import Text
from torch import nn

from alexnet_edu import explore, paper
from alexnet_edu.paper import FC, LRN, Conv, Pool
from alexnet_edu.transforms import IMAGENET_EIGVAL, IMAGENET_EIGVEC


def _ax():
    return Figure(figsize=(7, 3)).add_subplot()


def _image():
    """A synthetic 3×24×32 uint8 image: a colour gradient."""
    y, x = torch.meshgrid(torch.linspace(0, 1, 24), torch.linspace(0, 1, 32), indexing="ij")
    return (torch.stack([x, y, 1 - x]) * 200 + 20).round().to(torch.uint8)


# ------------------------------------------------------------------------------------------ conv
def _by_hand(n, k, s, p=0, ceil=False):
    span = n + 2 * p - k
    return (-(-span // s) if ceil else span // s) + 1


@pytest.mark.parametrize("n, k, s, p, ceil", [(7, 3, 2, 0, False), (8, 3, 2, 0, True), (16, 5, 3, 1, False),
                                              (224, 11, 4, 0, False), (224, 11, 4, 0, True), (224, 11, 4, 2, False),
                                              (227, 11, 4, 0, False), (31, 4, 4, 3, True)])
def test_conv_explorer_counts_windows_by_the_formula(n, k, s, p, ceil):
    ax = _ax()
    assert explore.draw_conv_output(ax, n, k, s, p, ceil) == _by_hand(n, k, s, p, ceil)
    assert ax.get_title(loc="left").endswith(f"= {_by_hand(n, k, s, p, ceil)}")


def test_conv_explorer_walks_the_paper_network():
    n, sizes = paper.INPUT_SIZE, []
    for layer in paper.ARCHITECTURE:
        if isinstance(layer, (Conv, Pool)):
            padding = layer.padding if isinstance(layer, Conv) else 0
            o = explore.draw_conv_output(_ax(), n, layer.kernel, layer.stride, padding, pool=isinstance(layer, Pool))
            assert o == (n + 2 * padding - layer.kernel) // layer.stride + 1, layer.name
            n = o
            sizes.append(o)
        else:
            assert isinstance(layer, (LRN, FC))
    assert sizes == [55, 27, 27, 13, 13, 13, 13, 6]  # Figure 2's maps, conv1 to pool5


def test_conv_defaults_show_the_224_puzzle_and_both_poolings():
    got = [explore.draw_conv_output(_ax(), **setting) for setting in explore.CONV_SETTINGS]
    assert got == [54, 55, 55, 55, 6, 6]
    pools = [s for s in explore.CONV_SETTINGS if s.get("pool")]
    assert {(s["k"], s["s"]) for s in pools} == {(3, 2), (2, 2)}  # §3.4: z = 3, s = 2 against z = s = 2
    with pytest.raises(ValueError, match="does not fit"):
        explore.draw_conv_output(_ax(), 3, 11, 4)


# ------------------------------------------------------------------------------------------- LRN
@pytest.mark.parametrize("k, n, alpha, beta, neighbours", [(2.0, 5, 1e-4, 0.75, 0.0), (2.0, 5, 1e-4, 0.75, 1.0),
                                                           (1.0, 4, 1e-3, 0.5, 0.3), (0.5, 3, 1e-2, 1.2, 0.7)])
def test_lrn_curves_equal_pytorch_and_the_printed_formula(k, n, alpha, beta, neighbours):
    curves = explore.draw_lrn_response(_ax(), k, n, alpha, beta, neighbours)
    a = curves["a"]
    column = torch.stack([neighbours * a] * n, dim=1)
    column[:, n // 2] = a
    oracle = nn.LocalResponseNorm(n, alpha=alpha, beta=beta, k=k)(column[..., None, None])[:, n // 2, 0, 0]
    torch.testing.assert_close(curves["pytorch"], oracle, rtol=1e-10, atol=1e-12)
    printed = a / (k + alpha * (a ** 2 + (n - 1) * (neighbours * a) ** 2)) ** beta  # §3.3, all n maps in the window
    torch.testing.assert_close(curves["paper"], printed, rtol=1e-10, atol=1e-12)


def test_lrn_is_a_constant_scaling_until_the_alpha_term_reaches_k():
    k, alpha, beta = paper.LRN_K, paper.LRN_ALPHA, paper.LRN_BETA
    onset = math.sqrt(k / alpha)  # a lone map: α a² = k
    small = torch.tensor([onset / 100])
    b = explore.lrn_response(small, k, paper.LRN_SIZE, alpha, beta, 0.0, "paper")
    assert math.isclose(float(b), float(small) / k ** beta, rel_tol=1e-3)
    at_onset = explore.lrn_response(torch.tensor([onset]), k, paper.LRN_SIZE, alpha, beta, 0.0, "paper")
    assert math.isclose(float(at_onset), onset / (2 * k) ** beta, rel_tol=1e-9)


# ------------------------------------------------------------------------------------------- PCA
def test_pca_noise_at_zero_sigma_is_the_image():
    image = _image()
    out = explore.draw_pca_noise(_ax(), image, sigma=0.0)
    assert torch.equal(out, image.float())


@pytest.mark.parametrize("scale", ["eigval", "stddev"])
def test_pca_shift_is_the_papers_formula_and_proportional_to_sigma(scale):
    image, seed = _image(), 3
    z = torch.randn(3, generator=torch.Generator().manual_seed(seed))
    lam = torch.tensor(IMAGENET_EIGVAL)
    m = 255 * (lam if scale == "eigval" else lam.sqrt())
    shifts = {}
    for sigma in (0.1, 0.3, 1.0):
        out = explore.draw_pca_noise(_ax(), image, sigma=sigma, scale=scale, seed=seed)
        shift = out - image.float()
        assert torch.allclose(shift, shift[:, :1, :1].expand_as(shift), atol=1e-4)  # the same at every pixel
        by_hand = sum(sigma * z[i] * m[i] * torch.tensor(IMAGENET_EIGVEC)[:, i] for i in range(3))
        torch.testing.assert_close(shift[:, 0, 0], by_hand, rtol=1e-4, atol=1e-4)
        shifts[sigma] = shift[:, 0, 0]
    torch.testing.assert_close(shifts[0.3], 3 * shifts[0.1], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(shifts[1.0], 10 * shifts[0.1], rtol=1e-4, atol=1e-4)


# -------------------------------------------------------------------------------------- schedule
def _drops(rates):
    return [e for e, (a, b) in enumerate(zip(rates, rates[1:]), 1) if b < a]


def test_schedule_as_the_training_program_runs_it():
    rates = explore.lr_by_epoch()
    assert len(rates) == paper.EPOCHS == 90
    assert rates[0] == 0.01
    assert _drops(rates) == [24, 44, 62]  # the 4th flat epoch of the first three plateaus (chapter 32)
    assert math.isclose(rates[-1], 1e-5, rel_tol=1e-12)  # 0.01 divided by 10 three times
    assert sorted({round(math.log10(r)) for r in rates}) == [-5, -4, -3, -2]


def test_schedule_patience_on_a_curve_that_never_improves():
    never_better = [0.5] + [0.6] * 29
    assert _drops(explore.lr_by_epoch(patience=3, epochs=30, val_errors=never_better)) == [5, 9, 13]
    assert _drops(explore.lr_by_epoch(patience=0, epochs=30, val_errors=never_better)) == [2, 3, 4]
    assert _drops(explore.lr_by_epoch(drops=0, epochs=30, val_errors=never_better)) == []


def test_schedule_fixed_epochs_and_other_divisors():
    rates = explore.lr_by_epoch(every=30)
    for epoch, expected in ((1, 1e-2), (30, 1e-2), (31, 1e-3), (60, 1e-3), (61, 1e-4), (90, 1e-4)):
        assert math.isclose(rates[epoch - 1], expected, rel_tol=1e-12), epoch
    rates = explore.lr_by_epoch(every=25)
    assert _drops(rates) == [25, 50, 75] and math.isclose(rates[-1], 1e-5, rel_tol=1e-12)
    halving = explore.lr_by_epoch(lr=0.02, divide=2.0, drops=3)
    assert _drops(halving) == [24, 44, 62] and math.isclose(halving[-1], 0.02 / 8, rel_tol=1e-9)
    more = explore.lr_by_epoch(divide=2.0, drops=5)  # the fourth plateau (76–90) now drops twice more
    assert len(_drops(more)) == 5 and math.isclose(more[-1], 0.01 / 32, rel_tol=1e-9)
    ax = _ax()
    assert explore.draw_lr_schedule(ax, every=25) == rates and ax.get_yscale() == "log"


# --------------------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("p", [0.2, paper.DROPOUT_P, 0.8])
def test_dropout_keeps_one_minus_p_and_matches_in_expectation(p):
    rng_before = torch.random.get_rng_state()
    units, samples = 256, 2000
    out = explore.draw_dropout(_ax(), p, units=units, samples=samples, seed=1)
    assert torch.equal(torch.random.get_rng_state(), rng_before)  # the global generator is left alone
    trials = units * samples
    kept = out["kept"].double().mean().item()
    assert abs(kept - (1 - p)) < 5 * math.sqrt(p * (1 - p) / trials)  # 5 binomial standard deviations
    h = out["h"]
    assert (h > 0).all()
    assert math.isclose(float(out["paper_test"]), (1 - p) * float(h.mean()), rel_tol=1e-12)  # ×(1 − p) at test
    assert math.isclose(float(out["inverted_test"]), float(h.mean()), rel_tol=1e-12)  # nothing at test
    for name in ("paper", "inverted"):
        train = out[f"{name}_train"]
        standard_error = train.std().item() / math.sqrt(samples)
        assert abs(train.mean().item() - float(out[f"{name}_test"])) < 5 * standard_error, name


# ------------------------------------------------------------------------------- figures, widgets
PANELS = {
    "conv": (explore.conv_output_panels, explore.CONV_SETTINGS, {}),
    "lrn": (explore.lrn_response_panels, explore.LRN_SETTINGS, {}),
    "pca": (explore.pca_noise_panels, explore.PCA_SETTINGS, {"image": _image()}),
    "lr": (explore.lr_schedule_panels, explore.LR_SETTINGS, {}),
    "dropout": (explore.dropout_panels, explore.DROPOUT_SETTINGS, {}),
}


@pytest.mark.parametrize("name", PANELS)
def test_panels_draw_one_axes_per_setting_at_column_width(name):
    panels, settings, fixed = PANELS[name]
    with matplotlib.rc_context({"font.size": 9}):
        fig = panels(**fixed)
        assert isinstance(fig, Figure) and len(fig.axes) == len(settings)
        assert fig.get_size_inches()[0] <= 7.5
        assert fig.get_suptitle()
        fig.canvas.draw()
        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
        assert min(sizes) >= 9  # no text set smaller than the style's 9 pt
        for ax in fig.axes:
            assert ax.get_title(loc="left") or ax.get_title()
        fewer = panels(**fixed, settings=settings[:2])
        assert len(fewer.axes) == 2


def _controls(widget):
    return {control._kwarg: control for control in widget.kwargs_widgets}


@pytest.mark.parametrize("name, make, change, differs", [
    ("conv", explore.explore_conv_output, ("n", 40), lambda a, b: a != b),
    ("lrn", explore.explore_lrn_response, ("neighbours", 1.0), lambda a, b: not torch.equal(a["paper"], b["paper"])),
    ("pca", lambda: explore.explore_pca_noise(_image()), ("sigma", 1.0), lambda a, b: not torch.equal(a, b)),
    ("lr", explore.explore_lr_schedule, ("drops", 1), lambda a, b: a[-1] != b[-1]),
    ("dropout", explore.explore_dropout, ("p", 0.8), lambda a, b: a["kept"].float().mean() != b["kept"].float().mean()),
])
def test_widgets_redraw_when_a_control_moves(monkeypatch, name, make, change, differs):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kwargs: shown.append(obj))
    widget = make()
    assert isinstance(widget, ipywidgets.Widget) and isinstance(widget.children[-1], ipywidgets.Output)
    before, images = widget.result, len(shown)
    assert before is not None and images == 1  # drawn once when built, no kernel needed
    key, value = change
    _controls(widget)[key].value = value
    assert differs(before, widget.result)
    assert len(shown) == 2 and shown[-1].format == "png"


def test_conv_widget_reports_a_kernel_that_does_not_fit(monkeypatch, capsys):
    monkeypatch.setattr("IPython.display.display", lambda obj, **kwargs: None)
    widget = explore.explore_conv_output()
    controls = _controls(widget)
    controls["k"].value, controls["n"].value, controls["p"].value = 15, 3, 0
    assert widget.result is None
    assert "does not fit" in capsys.readouterr().out
