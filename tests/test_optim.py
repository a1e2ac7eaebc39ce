"""PaperSGD against the update rule of §5, written out independently here."""

import pytest
import torch
from torch import nn

from alexnet_edu.optim import PaperSGD


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3)).double()


def _grads(model, step):
    """A deterministic loss per step, so both runs see the same batches."""
    g = torch.Generator().manual_seed(step)
    x, y = torch.randn(8, 5, generator=g, dtype=torch.float64), torch.randint(3, (8,), generator=g)
    return nn.functional.cross_entropy(model(x), y)


def test_matches_the_papers_rule_over_twelve_steps_with_a_learning_rate_drop():
    lrs = [0.05] * 6 + [0.005] * 6  # a drop by 10 after step 6
    model = _model()
    reference = {name: p.detach().clone() for name, p in model.named_parameters()}
    velocity = {name: torch.zeros_like(p) for name, p in reference.items()}
    opt = PaperSGD(model.parameters(), lr=lrs[0], momentum=0.9, weight_decay=5e-4)
    for step, lr in enumerate(lrs):
        # the rule by hand, on a copy of the model with the reference weights
        shadow = _model()
        with torch.no_grad():
            for name, p in shadow.named_parameters():
                p.copy_(reference[name])
        shadow.zero_grad()
        _grads(shadow, step).backward()
        for name, p in shadow.named_parameters():
            decay = 5e-4 if p.ndim > 1 else 0.0  # weights only
            velocity[name] = 0.9 * velocity[name] - decay * lr * reference[name] - lr * p.grad
            reference[name] = reference[name] + velocity[name]
        # the optimiser
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad()
        _grads(model, step).backward()
        opt.step()
    for name, p in model.named_parameters():
        # float64: the optimiser and the rule by hand round differently (1e-16 of a value), nothing more
        assert torch.allclose(p, reference[name], rtol=1e-12, atol=1e-15), name
        assert not torch.equal(p, _model().state_dict()[name])  # it did move


def test_weight_decay_shrinks_weights_and_leaves_biases_alone():
    layer = nn.Linear(3, 2).double()
    w0, b0 = layer.weight.detach().clone(), layer.bias.detach().clone()
    opt = PaperSGD(layer.parameters(), lr=0.1, momentum=0.0, weight_decay=0.01)
    layer.weight.grad, layer.bias.grad = torch.zeros_like(w0), torch.zeros_like(b0)
    opt.step()
    assert torch.allclose(layer.weight, w0 * (1 - 0.1 * 0.01))
    assert torch.equal(layer.bias, b0)
    opt = PaperSGD(layer.parameters(), lr=0.1, momentum=0.0, weight_decay=0.01, decay_biases=True)
    layer.bias.grad = torch.zeros_like(b0)
    layer.weight.grad = torch.zeros_like(w0)
    opt.step()
    assert torch.allclose(layer.bias, b0 * (1 - 0.1 * 0.01))


def _run(make_opt, lrs):
    model = _model()
    opt = make_opt(model)
    for step, lr in enumerate(lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad()
        _grads(model, step).backward()
        opt.step()
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _torch_sgd(model):
    weights = [p for p in model.parameters() if p.ndim > 1]
    biases = [p for p in model.parameters() if p.ndim == 1]
    return torch.optim.SGD([{"params": weights, "weight_decay": 5e-4}, {"params": biases, "weight_decay": 0.0}],
                           lr=0.05, momentum=0.9)


def test_equals_torch_sgd_at_a_constant_learning_rate_and_differs_after_a_drop():
    paper = lambda m: PaperSGD(m.parameters(), lr=0.05)  # noqa: E731
    constant = [0.05] * 10
    assert torch.allclose(_run(paper, constant), _run(_torch_sgd, constant), rtol=0, atol=1e-12)
    dropped = [0.05] * 5 + [0.005] * 5
    gap = (_run(paper, dropped) - _run(_torch_sgd, dropped)).abs().max().item()
    assert gap > 1e-4  # torch rescales the whole velocity at the drop; the paper's rule does not


def test_works_with_a_plateau_scheduler_and_saves_its_state():
    model = _model()
    opt = PaperSGD(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=0)
    for epoch, val_error in enumerate([0.5, 0.5, 0.5]):
        opt.zero_grad()
        _grads(model, epoch).backward()
        opt.step()
        sched.step(val_error)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-4)
    state = opt.state_dict()
    other = PaperSGD(_model().parameters(), lr=0.01)
    other.load_state_dict(state)
    assert other.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert all(torch.equal(a["velocity"], b["velocity"]) for a, b in zip(opt.state.values(), other.state.values()))


@pytest.mark.parametrize("kwargs", [dict(lr=-1.0), dict(momentum=1.0), dict(weight_decay=-1e-4)])
def test_refuses_settings_it_would_get_wrong(kwargs):
    with pytest.raises(ValueError):
        PaperSGD(_model().parameters(), **kwargs)
