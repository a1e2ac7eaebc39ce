"""Shape arithmetic against PyTorch's own layers (the oracle) and the paper's numbers."""

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from alexnet_edu import paper
from alexnet_edu.shapes import (
    ceil_extra_padding,
    conv_output_size,
    format_shape_table,
    layer_shapes,
    pool_output_size,
)


def test_acceptance_values():
    assert conv_output_size(227, 11, 4) == 55
    assert conv_output_size(224, 11, 4) == 54
    assert conv_output_size(224, 11, 4, ceil_mode=True) == 55


def test_conv_matches_torch_conv1d():
    for n, k, s, p in itertools.product(range(1, 30), (1, 2, 3, 5, 11), (1, 2, 3, 4), (0, 1, 2)):
        if k > n + 2 * p:
            continue
        out = F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p).shape[-1]
        assert conv_output_size(n, k, s, p) == out, (n, k, s, p)


def test_conv_ceil_mode_equals_floor_after_right_padding():
    # cuda-convnet rounds up; the same windows come from zero-padding the right edge.
    for n, k, s in itertools.product(range(11, 60), (3, 5, 11), (1, 2, 3, 4)):
        extra = ceil_extra_padding(n, k, s)
        assert 0 <= extra < s
        padded = F.pad(torch.zeros(1, 1, n), (0, extra))
        out = F.conv1d(padded, torch.zeros(1, 1, k), stride=s).shape[-1]
        assert conv_output_size(n, k, s, ceil_mode=True) == out, (n, k, s)


def test_pool_matches_torch_max_pool1d_both_roundings():
    for n, k, s, p, ceil in itertools.product(range(1, 30), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2), (False, True)):
        if k > n + 2 * p or 2 * p > k:
            continue
        out = F.max_pool1d(torch.zeros(1, 1, n), k, s, p, ceil_mode=ceil).shape[-1]
        assert pool_output_size(n, k, s, p, ceil_mode=ceil) == out, (n, k, s, p, ceil)


def test_pool_stride_defaults_to_kernel_like_torch():
    assert pool_output_size(12, 3) == nn.MaxPool1d(3)(torch.zeros(1, 1, 12)).shape[-1] == 4


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: conv_output_size(5, 11, 4), ValueError, "does not fit"),
        (lambda: conv_output_size(224, 11, 0), ValueError, "stride must be >= 1"),
        (lambda: conv_output_size(224, 11, 4, padding=-1), ValueError, "padding must be >= 0"),
        (lambda: conv_output_size(224.0, 11, 4), TypeError, "n (input size) must be an integer"),
        (lambda: conv_output_size(True, 1), TypeError, "must be an integer"),
        (lambda: pool_output_size(13, 3, 2, padding=2), ValueError, "at most half the kernel"),
    ],
)
def test_bad_arguments_say_what_is_wrong(call, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()


def _torch_stack(input_size: int, conv1_padding: int = 0) -> dict[str, tuple[int, ...]]:
    """Output shapes of every named layer, from real torch layers built from the paper's table."""
    shapes, x = {}, torch.zeros(1, paper.IN_CHANNELS, input_size, input_size)
    for layer in paper.ARCHITECTURE:
        if isinstance(layer, paper.Conv):
            pad = conv1_padding if layer.name == "conv1" else layer.padding
            x = nn.Conv2d(x.shape[1], layer.out_channels, layer.kernel, layer.stride, pad, groups=layer.groups)(x)
        elif isinstance(layer, paper.Pool):
            x = nn.MaxPool2d(layer.kernel, layer.stride)(x)
        elif isinstance(layer, paper.FC):
            x = nn.Linear(x[0].numel(), layer.out_features)(x.flatten(1))
        shapes[layer.name] = tuple(x.shape[1:])
    return shapes


@torch.no_grad()
def test_layer_shapes_match_a_real_forward_pass():
    rows = layer_shapes(227)
    assert {r.name: r.out_shape for r in rows} == _torch_stack(227)
    assert [r.out_shape[-1] for r in rows if r.name in ("conv1", "pool1", "pool2", "pool5")] == [55, 27, 13, 6]


@torch.no_grad()
def test_torchvision_padding_gives_the_same_maps_from_224():
    assert {r.name: r.out_shape for r in layer_shapes(224, conv1_padding=2)} == _torch_stack(224, conv1_padding=2)
    assert [r.out_shape for r in layer_shapes(224, ceil_mode=True)] == [r.out_shape for r in layer_shapes(227)]


def test_224_with_floor_rounding_shrinks_every_map():
    rows = {r.name: r for r in layer_shapes(224)}
    assert rows["conv1"].out_shape == (96, 54, 54)
    assert rows["pool5"].out_shape == (256, 5, 5)
    assert rows["fc6"].params == 256 * 5 * 5 * 4096 + 4096  # fc6 would no longer take the 9,216 inputs


def test_parameter_count_is_the_papers_exact_total():
    rows = layer_shapes()
    assert sum(r.params for r in rows) == 60_965_224 == paper.NUM_PARAMETERS
    # grouped conv2 sees 48 of conv1's 96 maps per kernel: 5*5*48*256 weights + 256 biases
    assert next(r.params for r in rows if r.name == "conv2") == 5 * 5 * 48 * 256 + 256
    assert "60,965,224" in format_shape_table(rows)


def test_num_classes_changes_only_fc8():
    ten = {r.name: r.params for r in layer_shapes(num_classes=10)}
    full = {r.name: r.params for r in layer_shapes()}
    assert {k for k in full if full[k] != ten[k]} == {"fc8"}
    assert ten["fc8"] == 4096 * 10 + 10


def test_an_input_too_small_for_the_stack_raises():
    with pytest.raises(ValueError, match="does not fit"):
        layer_shapes(66)
    assert layer_shapes(67)[-4].out_shape == (256, 1, 1)  # pool5
