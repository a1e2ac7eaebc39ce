"""Local response normalisation: the paper's formula, PyTorch's layer, and the other conventions."""

import pytest
import torch
from torch import nn

from alexnet_edu import paper
from alexnet_edu.layers import LRN_CONVENTIONS, LocalResponseNorm, convert_lrn, local_response_norm_loop


def _rel_err(a, b):
    return ((a - b).abs() / b.abs().clamp_min(1e-12)).max().item()


def _activations(*shape, seed=0):
    # ReLU outputs of realistic size: LRN only matters when α Σ a² is comparable to k
    return torch.relu(torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 40)


def _by_hand(a, size, alpha, beta, k):
    """Element by element, straight from §3.3, with the paper's clipped sum bounds."""
    n_ch = a.shape[1]
    out = torch.empty_like(a)
    for i in range(n_ch):
        lo, hi = max(0, i - size // 2), min(n_ch - 1, i + size // 2)
        out[:, i] = a[:, i] / (k + alpha * (a[:, lo:hi + 1] ** 2).sum(1)) ** beta
    return out


def test_default_layer_is_the_paper_formula():
    a = _activations(2, 12, 3, 3)
    expected = _by_hand(a, 5, 1e-4, 0.75, 2.0)
    assert _rel_err(LocalResponseNorm()(a), expected) <= 1e-6
    assert _rel_err(local_response_norm_loop(a, 5, 1e-4, 0.75, 2.0), expected) <= 1e-6
    assert (LocalResponseNorm().k, LocalResponseNorm().alpha) == (paper.LRN_K, paper.LRN_ALPHA)


def test_float32_also_within_1e_6():
    a = _activations(4, 96, 5, 5).float()
    expected = _by_hand(a.double(), 5, 1e-4, 0.75, 2.0)
    assert _rel_err(LocalResponseNorm()(a).double(), expected) <= 1e-6


def test_pytorch_needs_alpha_times_n_for_the_papers_layer():
    a = _activations(2, 96, 4, 4)
    ours = LocalResponseNorm()(a)
    assert _rel_err(nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)(a), ours) <= 1e-6
    # with the paper's α written as-is, PyTorch computes a different (weaker) normalisation
    assert _rel_err(nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)(a), ours) > 1e-3


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7])
def test_even_and_odd_windows_match_pytorch_placement(size):
    a = _activations(1, 9, 2, 2, seed=size)
    torch_layer = nn.LocalResponseNorm(size, alpha=convert_lrn(1e-3, size, "paper", "pytorch"), beta=0.6, k=1.5)
    assert _rel_err(LocalResponseNorm(size, 1e-3, 0.6, 1.5)(a), torch_layer(a)) <= 1e-6
    assert _rel_err(local_response_norm_loop(a, size, 1e-3, 0.6, 1.5), torch_layer(a)) <= 1e-6


@pytest.mark.parametrize("source", list(LRN_CONVENTIONS))
@pytest.mark.parametrize("target", list(LRN_CONVENTIONS))
def test_conversions_describe_the_same_layer(source, target):
    a = _activations(1, 10, 3, 3)
    written = 2e-4
    scale = written / 5 if LRN_CONVENTIONS[source].alpha_divided_by_size else written
    converted = convert_lrn(written, 5, source, target)
    target_scale = converted / 5 if LRN_CONVENTIONS[target].alpha_divided_by_size else converted
    assert target_scale == pytest.approx(scale, rel=1e-12)
    layer = LocalResponseNorm(5, convert_lrn(written, 5, source, "paper"), 0.75, 2.0)
    assert _rel_err(layer(a), _by_hand(a, 5, scale, 0.75, 2.0)) <= 1e-6
    with pytest.raises(ValueError, match="unknown LRN convention"):
        convert_lrn(1e-4, 5, source, "tensorflow")


def test_gradient_is_exact():
    a = _activations(2, 7, 2, 2).requires_grad_()
    assert torch.autograd.gradcheck(LocalResponseNorm(5, 1e-3, 0.75, 2.0), (a,), eps=1e-6, atol=1e-7)
    assert torch.autograd.gradcheck(LocalResponseNorm(4, 1e-3, 0.75, 2.0, groups=1), (a,), eps=1e-6, atol=1e-7)


def test_gradient_matches_pytorch_layer():
    a = _activations(2, 96, 5, 5).requires_grad_()
    g = torch.randn(2, 96, 5, 5, dtype=torch.float64)
    (ours,) = torch.autograd.grad(LocalResponseNorm()(a), a, g)
    (theirs,) = torch.autograd.grad(nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)(a), a, g)
    assert torch.allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_two_groups_normalise_each_half_on_its_own():
    a = _activations(2, 96, 3, 3)
    grouped = LocalResponseNorm(groups=2)(a)
    halves = torch.cat([LocalResponseNorm()(a[:, :48]), LocalResponseNorm()(a[:, 48:])], dim=1)
    assert torch.equal(grouped, halves)
    ungrouped = LocalResponseNorm()(a)
    differs = (grouped != ungrouped).flatten(2).any(-1).any(0).nonzero().flatten().tolist()
    assert differs == [46, 47, 48, 49]  # only where a window crosses the boundary between halves


def test_any_number_of_spatial_dimensions():
    a = _activations(2, 6, 4)
    assert _rel_err(LocalResponseNorm()(a), _by_hand(a, 5, 1e-4, 0.75, 2.0)) <= 1e-6


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: LocalResponseNorm(groups=2)(torch.ones(1, 5, 2, 2)), "cannot be split into 2 groups"),
        (lambda: LocalResponseNorm(k=0.0), "k must be > 0"),
        (lambda: LocalResponseNorm(size=0), "size and groups must be >= 1"),
        (lambda: LocalResponseNorm()(torch.ones(5)), "expects \\(batch, channels"),
    ],
)
def test_bad_configuration_is_explained(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_paper_dropout_drops_half_and_halves_at_test_time():
    from alexnet_edu.layers import PaperDropout

    torch.manual_seed(0)
    layer = PaperDropout()
    x = torch.rand(200_000) + 0.5
    out = layer(x)
    dropped = out == 0
    assert abs(dropped.float().mean().item() - 0.5) < 0.01  # "with probability 0.5"
    assert torch.equal(out[~dropped], x[~dropped])  # kept outputs are not rescaled while training
    layer.eval()
    torch.testing.assert_close(layer(x), 0.5 * x)  # "multiply their outputs by 0.5"
    # equal in expectation: training output's mean = test output's mean, for both conventions
    assert abs(out.mean().item() / layer(x).mean().item() - 1) < 0.01
    inverted = torch.nn.Dropout(0.5)
    assert abs(inverted(x).mean().item() / inverted.eval()(x).mean().item() - 1) < 0.01
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        PaperDropout(1.0)
