"""alexnet_edu: AlexNet (Krizhevsky, Sutskever & Hinton, NIPS 2012), rebuilt piece by piece.

Each idea of the paper lives in one module:

- :mod:`alexnet_edu.paper` — the paper's numbers, in one place;
- :mod:`alexnet_edu.shapes` — shape arithmetic of every layer;
- :mod:`alexnet_edu.layers` — local response normalisation as the paper writes it, and its dropout;
- :mod:`alexnet_edu.model` — the 2012 network, as one module and as two towers;
- :mod:`alexnet_edu.data` — the one place that knows where datasets live, and their downloads;
- :mod:`alexnet_edu.transforms` — the paper's preprocessing, crops, reflections, PCA colour and ten patches;
- :mod:`alexnet_edu.metrics` — top-1 and top-5 error, and ten-patch averaging;
- :mod:`alexnet_edu.optim` — the paper's update rule (momentum and weight decay inside the velocity);
- :mod:`alexnet_edu.train` — the training recipe as a program: run directories, checkpoints, exact resume;
- :mod:`alexnet_edu.experiments` — the small CIFAR-10 experiments behind single claims (Figure 1, ablations);
- :mod:`alexnet_edu.runtime` — quick/full mode, seeding, Colab detection for the chapters;
- :mod:`alexnet_edu.exercises` — checkers for the book's exercises, one module per chapter;
- :mod:`alexnet_edu.display` — figures of photographs shown as JPEG, to keep executed notebooks small.
"""

__version__ = "0.1.0"
