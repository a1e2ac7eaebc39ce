"""Top-k error and ten-patch averaging, against direct computations."""

import pytest
import torch
from torch import nn

from alexnet_edu import metrics, transforms


def _direct_topk_error(logits, targets, k):
    wrong = 0
    for row, target in zip(logits.tolist(), targets.tolist()):
        ranked = sorted(range(len(row)), key=lambda c: -row[c])  # no ties in continuous random logits
        wrong += target not in ranked[:k]
    return wrong / len(targets)


@pytest.mark.parametrize("k", [1, 5])
def test_topk_error_equals_a_direct_computation(k):
    g = torch.Generator().manual_seed(k)
    logits = torch.randn(500, 20, generator=g)
    targets = torch.randint(0, 20, (500,), generator=g)
    expected = _direct_topk_error(logits, targets, k)
    assert 0 < expected < 1
    assert metrics.topk_error(logits, targets, k) == pytest.approx(expected, abs=1e-12)
    assert metrics.topk_error(logits.softmax(1), targets, k) == pytest.approx(expected, abs=1e-12)


def test_topk_error_of_known_cases():
    logits = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.15, 0.05], [0.2, 0.3, 0.5]])
    targets = torch.tensor([1, 2, 1])
    assert metrics.topk_error(logits, targets, 1) == pytest.approx(2 / 3)
    assert metrics.topk_error(logits, targets, 2) == pytest.approx(1 / 3)  # only row 1's target is third
    assert metrics.topk_error(logits, targets, 3) == 0.0


def test_topk_error_refuses_bad_input_with_a_reason():
    logits = torch.randn(4, 3)
    with pytest.raises(ValueError, match="k must be between 1 and the number of classes"):
        metrics.topk_error(logits, torch.zeros(4, dtype=torch.long), 5)
    with pytest.raises(ValueError, match="targets must be"):
        metrics.topk_error(logits, torch.zeros(3, dtype=torch.long), 1)
    with pytest.raises(TypeError, match="integer class indices"):
        metrics.topk_error(logits, torch.zeros(4), 1)
    with pytest.raises(ValueError, match=r"lie in \[0, 2\]"):
        metrics.topk_error(logits, torch.tensor([0, 1, 2, 3]), 1)


class _Linear(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc = nn.Linear(3 * 6 * 6, 7)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.fc(self.drop(x.flatten(1)))


def test_ten_crop_prediction_averages_softmax_over_the_patches():
    model = _Linear().eval()
    images = torch.rand(2, 3, 8, 8)
    patches = transforms.ten_crop(images, 6)
    probs = metrics.ten_crop_predict(model, patches)
    expected = torch.stack([torch.stack([model(p[None]).softmax(1)[0] for p in image]).mean(0) for image in patches])
    torch.testing.assert_close(probs, expected)
    torch.testing.assert_close(probs.sum(1), torch.ones(2))


def test_evaluate_scores_centre_and_ten_patch_batches_in_eval_mode():
    model = _Linear().train()
    g = torch.Generator().manual_seed(1)
    images, targets = torch.rand(12, 3, 8, 8, generator=g), torch.randint(0, 7, (12,), generator=g)
    centre = images[..., 1:7, 1:7]
    with torch.no_grad():
        model.eval()
        probs = model(centre).softmax(1)
        ten_probs = metrics.ten_crop_predict(model, transforms.ten_crop(images, 6))
        model.train()
    batches = [(centre[:5], targets[:5]), (centre[5:], targets[5:])]
    result = metrics.evaluate(model, batches, progress=False)
    assert model.training  # restored
    assert result == {"top1": pytest.approx(metrics.topk_error(probs, targets, 1)),
                      "top5": pytest.approx(metrics.topk_error(probs, targets, 5)), "images": 12,
                      "loss": pytest.approx(-probs[torch.arange(12), targets].log().mean().item(), rel=1e-6)}
    ten = metrics.evaluate(model, [(transforms.ten_crop(images, 6), targets)], progress=False, keep=True)
    assert ten["top1"] == pytest.approx(metrics.topk_error(ten_probs, targets, 1))
    # the loss of ten views is that of their averaged softmax; the views themselves are kept
    assert ten["loss"] == pytest.approx(-ten_probs[torch.arange(12), targets].log().mean().item(), rel=1e-6)
    assert torch.allclose(ten["view_probabilities"].mean(1), ten_probs) and torch.equal(ten["targets"], targets)
    assert torch.equal(ten["probabilities"], ten["view_probabilities"].mean(1))


def test_evaluate_keeps_probabilities_and_named_activations_and_counts_every_image_right_above_the_classes():
    model = _Linear()
    g = torch.Generator().manual_seed(2)
    images, targets = torch.rand(9, 3, 6, 6, generator=g), torch.randint(0, 7, (9,), generator=g)
    out = metrics.evaluate(model, [(images[:4], targets[:4]), (images[4:], targets[4:])], ks=(1, 7, 50), keep=True,
                           layers=["fc"], progress=False)
    with torch.no_grad():
        logits = model.eval()(images)
    assert torch.allclose(out["probabilities"], logits.softmax(1)) and torch.equal(out["targets"], targets)
    assert torch.allclose(out["activations"]["fc"], logits)
    assert out["top7"] == out["top50"] == 0.0  # every target is among all 7 classes
    with pytest.raises(metrics.NothingToEvaluate):
        metrics.evaluate(model, [], progress=False)
    with pytest.raises(ValueError, match="keep=True"):
        metrics.evaluate(model, [(images, targets)], layers=["fc"], progress=False)
