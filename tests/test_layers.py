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


# --- the two readings of §3.3's numbers -----------------------------------------------------------


def _cuda_convnet2_kernel(a, size, scale, pow_, min_div):
    """cuda-convnet2's cross-map norm as its files and kernel write it, element by element: layer.py
    divides ``scale`` by ``size``; the kernel sums the squares of maps f − size/2 … f + size/2 that
    exist and computes x · (minDiv + addScale · sum)^−pow."""
    add_scale = scale / size
    n_ch = a.shape[1]
    out = torch.empty_like(a)
    for f in range(n_ch):
        total = torch.zeros_like(a[:, 0])
        for j in range(f - size // 2, f - size // 2 + size):
            if 0 <= j < n_ch:
                total += a[:, j] ** 2
        out[:, f] = a[:, f] * (min_div + add_scale * total) ** (-pow_)
    return out


def test_the_code_reading_is_what_cuda_convnet2_computes_from_the_image_net_layer_files():
    a = _activations(2, 48, 3, 3)  # one GPU's 48 maps of conv1 (rnorm1a in layers-imagenet-2gpu-model.cfg)
    code = LocalResponseNorm(5, 1e-4, 0.75, 2.0, convention="cuda-convnet2")  # scale=0.0001 pow=0.75 minDiv=2
    assert _rel_err(code(a), _cuda_convnet2_kernel(a, 5, 1e-4, 0.75, 2.0)) <= 1e-12
    # torch writes the same layer with the same numbers: it also divides α by n
    assert _rel_err(nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)(a), code(a)) <= 1e-12
    # and it is not the printed formula's layer: its denominator is five times closer to k
    paper_reading = LocalResponseNorm(5, 1e-4, 0.75, 2.0)
    assert _rel_err(paper_reading(a), _by_hand(a, 5, 1e-4, 0.75, 2.0)) <= 1e-12
    assert _rel_err(code(a), paper_reading(a)) > 0.1
    assert bool((code(a) >= paper_reading(a)).all())  # a smaller divisor everywhere


@pytest.mark.parametrize("convention", ["cuda-convnet", "cuda-convnet2", "caffe", "pytorch"])
def test_every_library_convention_divides_alpha_by_the_window(convention):
    a = _activations(1, 10, 2, 2, seed=3)
    layer = LocalResponseNorm(7, 2e-3, 0.6, 1.5, convention=convention)
    assert _rel_err(layer(a), _cuda_convnet2_kernel(a, 7, 2e-3, 0.6, 1.5)) <= 1e-12
    assert layer.scale == pytest.approx(2e-3 / 7, rel=1e-15)
    assert f"convention={convention!r}" in repr(layer)


def test_caffe_bvlc_alexnet_norm_is_the_code_reading_with_k_1():
    a = _activations(2, 96, 3, 3, seed=4)
    caffe = LocalResponseNorm(5, 1e-4, 0.75, 1.0, convention="caffe")  # train_val.prototxt: no k, default 1
    assert _rel_err(caffe(a), _cuda_convnet2_kernel(a, 5, 1e-4, 0.75, 1.0)) <= 1e-12
    assert LRN_CONVENTIONS["caffe"].default_k == 1.0 and LRN_CONVENTIONS["cuda-convnet"].default_k == 1.0
    assert LRN_CONVENTIONS["cuda-convnet2"].default_k == 1.0  # minDiv's default; the ImageNet files set 2


def test_an_unknown_convention_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown LRN convention 'tensorflow'.*paper, cuda-convnet"):
        LocalResponseNorm(convention="tensorflow")


def test_the_papers_network_takes_both_readings_and_both_dropout_conventions():
    from alexnet_edu.layers import PaperDropout
    from alexnet_edu.model import AlexNet, TwoTowerAlexNet

    torch.manual_seed(0)
    net = AlexNet(num_classes=10, lrn_convention="cuda-convnet2", dropout_convention="paper").double().eval()
    assert [m.convention for m in (net.lrn1, net.lrn2)] == ["cuda-convnet2"] * 2
    assert isinstance(net.drop6, PaperDropout) and isinstance(net.drop7, PaperDropout)
    x = torch.randn(2, 3, 227, 227, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 60
    towers = TwoTowerAlexNet.from_alexnet(net).eval()
    assert towers.columns[0].lrn1.convention == "cuda-convnet2" and isinstance(towers.columns[1].drop7, PaperDropout)
    assert torch.equal(towers.to_alexnet().eval()(x), net(x))  # the conventions survive the round trip
    # at test time the paper's dropout halves fc6's and fc7's outputs; inverted dropout leaves them
    inverted = AlexNet(num_classes=10, lrn_convention="cuda-convnet2").double().eval()
    inverted.load_state_dict(net.state_dict())
    for model, factor in ((net, 0.5), (inverted, 1.0)):
        pairs = []
        for drop in (model.drop6, model.drop7):
            drop.register_forward_hook(lambda mod, inp, out: pairs.append((inp[0], out)))
        model(x)
        assert len(pairs) == 2 and all(torch.equal(out, inp * factor) for inp, out in pairs)
    with pytest.raises(ValueError, match="unknown dropout convention 'gaussian'"):
        AlexNet(dropout_convention="gaussian")


# --- the locally-connected layer of the paper's CIFAR-10 network ---------------------------------------


def _local_by_loop(x, weight, bias, k, padding, stride):
    """Every output position by itself: its own weights times the patch it sees, plus its bias."""
    from torch.nn.functional import pad

    n, c, h, _ = x.shape
    xp = pad(x, (padding,) * 4)
    side = (h + 2 * padding - k) // stride + 1
    out = torch.empty(n, weight.shape[2], side, side, dtype=x.dtype)
    for i in range(side):
        for j in range(side):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]  # (n, c, k, k)
            w = weight[i * side + j].reshape(c, k, k, -1)                       # this position's weights
            out[:, :, i, j] = torch.einsum("nckl,cklo->no", patch, w) + bias[:, i, j]
    return out


@pytest.mark.parametrize("k, padding, stride", [(3, 1, 1), (3, 0, 2), (2, 1, 1)])
def test_locally_connected_layer_equals_a_loop_over_positions(k, padding, stride):
    from alexnet_edu.layers import LocallyConnected2d

    torch.manual_seed(0)
    layer = LocallyConnected2d(4, 5, in_size=6, kernel_size=k, padding=padding, stride=stride).double()
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(3, 4, 6, 6, dtype=torch.float64)
    expected = _local_by_loop(x, layer.weight, layer.bias, k, padding, stride)
    assert (layer(x) - expected).abs().max().item() <= 1e-12 * expected.abs().max().item()


def test_locally_connected_weights_are_not_shared_and_a_shared_copy_is_a_convolution():
    from alexnet_edu.layers import LocallyConnected2d

    torch.manual_seed(1)
    layer = LocallyConnected2d(3, 2, in_size=5, kernel_size=3, padding=1).double()
    conv = nn.Conv2d(3, 2, 3, padding=1, bias=False).double()
    with torch.no_grad():  # one kernel copied to every position: the layer becomes that convolution
        layer.weight.copy_(conv.weight.reshape(2, -1).t().expand(25, -1, -1))
    x = torch.randn(2, 3, 5, 5, dtype=torch.float64)
    assert (layer(x) - conv(x)).abs().max().item() <= 1e-12 * conv(x).abs().max().item()
    with torch.no_grad():
        layer.weight[7].mul_(2.0)  # position 7 = row 1, column 2 only
    moved = ((layer(x) - conv(x)).abs() > 1e-9).any(1)[0].nonzero().tolist()  # beyond float64 rounding
    assert moved == [[1, 2]]
    with pytest.raises(ValueError, match="expects \\(batch, 3, 5, 5\\)"):
        layer(torch.zeros(1, 3, 6, 6))
