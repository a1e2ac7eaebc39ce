"""The 2012 network: its size, its input contract, its initialisation, and its two equal forms."""

import pytest
import torch
import torch.nn.functional as F

from alexnet_edu.model import AlexNet, TwoTowerAlexNet, init_, layer_table
from alexnet_edu.shapes import layer_shapes


@pytest.fixture(scope="module")
def alexnet():
    torch.manual_seed(0)
    return AlexNet().eval()


def test_exact_parameter_count_and_output_shape(alexnet):
    assert sum(p.numel() for p in alexnet.parameters()) == 60_965_224
    assert alexnet(torch.zeros(3, 3, 227, 227)).shape == (3, 1000)


def test_layers_have_the_papers_names_and_kernel_shapes(alexnet):
    assert tuple(alexnet.conv2.weight.shape) == (256, 48, 5, 5)  # "256 kernels of size 5 × 5 × 48"
    assert tuple(alexnet.conv3.weight.shape) == (384, 256, 3, 3)
    assert tuple(alexnet.conv5.weight.shape) == (256, 192, 3, 3)
    assert alexnet.drop6.p == alexnet.drop7.p == 0.5
    for name in ("conv1", "lrn1", "pool1", "conv2", "lrn2", "pool2", "conv3", "conv4", "conv5", "pool5", "fc6", "fc7", "fc8"):
        assert hasattr(alexnet, name)


def test_224_input_to_the_default_model_names_227(alexnet):
    with pytest.raises(ValueError, match="227") as err:
        alexnet(torch.zeros(1, 3, 224, 224))
    assert "input_size=224" in str(err.value)
    with pytest.raises(ValueError, match=r"\(N, 3, 227, 227\)"):
        alexnet(torch.zeros(1, 1, 227, 227))


def test_other_input_sizes_are_refused_at_construction():
    with pytest.raises(ValueError, match="expects 227×227"):
        AlexNet(input_size=256)


def test_224_model_is_cuda_convnet_rounding(alexnet):
    model = AlexNet(input_size=224).eval()
    model.load_state_dict(alexnet.state_dict())
    assert layer_table(model)[0].out_shape == (96, 55, 55)
    x = torch.randn(2, 3, 224, 224)
    # rounding up = the 227 network on the image padded right and bottom by 3 zeros
    assert torch.allclose(model(x), alexnet(F.pad(x, (0, 3, 0, 3))), atol=0, rtol=0)


def test_layer_table_measured_equals_the_formula(alexnet):
    measured, formula = layer_table(alexnet), layer_shapes()
    assert [(r.name, r.out_shape, r.params, r.macs, r.hyper) for r in measured] == [
        (r.name, r.out_shape, r.params, r.macs, r.hyper) for r in formula
    ]
    assert sum(r.macs for r in measured) == 724_406_816
    assert layer_table(AlexNet(num_classes=10))[-1].params == 4096 * 10 + 10


def test_paper_initialisation():
    torch.manual_seed(1)
    model = AlexNet()
    for name in ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"):
        layer = getattr(model, name)
        expected_bias = 1.0 if name in ("conv2", "conv4", "conv5", "fc6", "fc7") else 0.0
        assert torch.all(layer.bias == expected_bias), name
        if layer.weight.numel() > 100_000:
            assert layer.weight.std().item() == pytest.approx(0.01, rel=0.02), name
            assert abs(layer.weight.mean().item()) < 1e-3, name
    with pytest.raises(ValueError, match="not a layer of the paper"):
        init_(torch.nn.Sequential(torch.nn.Linear(2, 2)), "paper")


def _tower_grads(tower, name):
    return torch.cat([getattr(c, name).weight.grad for c in tower.columns])


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs().max() / b.abs().max()).item()


@pytest.mark.parametrize("num_classes", [1000, 11])
def test_two_towers_are_the_same_network(num_classes):
    # float64: the two forms add the same products in another order (a grouped convolution against two
    # convolutions), so they differ by rounding alone, about 1e-16 of a value in float64 and far below
    # 1e-10 after a forward and a backward pass; a wrong connection between the columns is of order 1.
    torch.manual_seed(2)
    model = AlexNet(num_classes=num_classes, dropout=0.0).double()
    tower = TwoTowerAlexNet.from_alexnet(model, devices=("cpu:0", "cpu:1"))
    x, y = torch.randn(2, 3, 227, 227, dtype=torch.float64), torch.tensor([1, 7])
    out_model, out_tower = model(x), tower(x)
    assert out_tower.dtype == torch.float64 and _relative(out_tower, out_model) <= 1e-10
    F.cross_entropy(out_model, y).backward()
    F.cross_entropy(out_tower, y).backward()
    for name in ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"):
        grad_tower, grad_model = _tower_grads(tower, name), getattr(model, name).weight.grad
        assert _relative(grad_tower, grad_model) <= 1e-10, name
    back = tower.to_alexnet()
    for key, value in model.state_dict().items():
        assert torch.equal(value, back.state_dict()[key]), key


def test_towers_exchange_activations_only_into_conv3_fc6_fc7_fc8(monkeypatch):
    tower = TwoTowerAlexNet(num_classes=10, devices=("cpu:0", "cpu:1")).eval()
    assert [str(d) for d in tower.devices] == ["cpu:0", "cpu:1"]
    widths = []
    exchange = tower._exchange

    def counting(parts, into):
        widths.append(sum(p.shape[1] for p in parts))
        return exchange(parts, into)

    monkeypatch.setattr(tower, "_exchange", counting)
    tower(torch.zeros(1, 3, 227, 227))
    # channels entering conv3; features entering fc6, fc7 and fc8
    assert widths == [256, 9216, 4096, 4096]


def test_each_column_holds_half_of_every_layer():
    tower = TwoTowerAlexNet()
    column = tower.columns[0]
    assert tuple(column.conv1.weight.shape) == (48, 3, 11, 11)
    assert tuple(column.conv3.weight.shape) == (192, 256, 3, 3)  # sees both columns
    assert tuple(column.conv4.weight.shape) == (192, 192, 3, 3)  # sees its own column
    assert sum(p.numel() for p in tower.parameters()) == 60_965_224
    with pytest.raises(ValueError, match="one device per column"):
        tower.place(["cpu"])
