"""The paper's optimiser: stochastic gradient descent with momentum and weight decay, §5.

"We trained our models using stochastic gradient descent with a batch size of 128 examples,
momentum of 0.9, and weight decay of 0.0005. [...] The update rule for weight w was

    v_{i+1} := 0.9 · v_i − 0.0005 · ε · w_i − ε · ⟨∂L/∂w |_{w_i}⟩_{D_i}
    w_{i+1} := w_i + v_{i+1}

where i is the iteration index, v is the momentum variable, ε is the learning rate, and
⟨∂L/∂w |_{w_i}⟩_{D_i} is the average over the i-th batch D_i of the derivative of the objective
with respect to w, evaluated at w_i." (§5)

The learning rate sits *inside* the velocity: a step taken at ε = 0.01 keeps coasting at its old
size after ε drops to 0.001, and only new gradients are scaled by the new ε. ``torch.optim.SGD``
keeps ε outside (buf ← 0.9·buf + g; w ← w − ε·buf), so when ε drops it shrinks the whole
accumulated velocity at once. The two agree exactly while ε is constant.
"""

from __future__ import annotations

from typing import Any, Iterable

import torch

from .paper import LEARNING_RATE, MOMENTUM, WEIGHT_DECAY


class PaperSGD(torch.optim.Optimizer):
    """The update rule of §5, with weight decay on the weights and not on the biases.

    Weight decay acts on parameters with two or more dimensions (conv kernels and fully connected
    matrices); one-dimensional parameters (the biases: AlexNet has no others) are not decayed. The
    paper writes its rule "for weight w"; Krizhevsky's cuda-convnet, with which the network was
    trained, takes a weight cost (``wc``) for each layer's weights and none for its biases. Pass
    ``decay_biases=True`` to decay every parameter, as ``torch.optim.SGD`` does.

    Works with PyTorch's learning-rate schedulers: they change ``param_groups[i]["lr"]``, which the
    next step reads.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float = LEARNING_RATE,
        momentum: float = MOMENTUM,
        weight_decay: float = WEIGHT_DECAY,
        decay_biases: bool = False,
    ) -> None:
        if not lr >= 0:
            raise ValueError(f"learning rate must be >= 0, got {lr}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, decay_biases=decay_biases)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[override]
        """One update of every parameter that has a gradient; returns the closure's loss, if given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("PaperSGD does not support sparse gradients")
                state = self.state[p]
                if "velocity" not in state:
                    state["velocity"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                v = state["velocity"]
                v.mul_(momentum).add_(p.grad, alpha=-lr)  # v ← m·v − ε·g
                if decay and (p.ndim > 1 or group["decay_biases"]):
                    v.add_(p, alpha=-decay * lr)  # − 0.0005·ε·w
                p.add_(v)  # w ← w + v
        return loss
