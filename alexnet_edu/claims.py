"""The book's one verdict scale, and every claim of the paper that the book tests.

A chapter that tests a claim of the paper ends in a verdict. So that a verdict means the same thing
in every chapter, all of them come from :func:`grade`, on one scale of four:

* **agrees** — our effect has the paper's direction, beyond the noise, and its size is within a
  factor of two of the paper's (or the paper states no size);
* **partly** — the paper's direction, beyond the noise, but a size more than twice or less than half
  the paper's;
* **inconclusive** — the effect is within the noise, so not even its direction is known (or the runs
  were cut short in a way that leaves it open, or no spread could be measured);
* **disagrees** — the opposite direction, beyond the noise.

*The noise* is twice the larger of two standard errors of the mean effect: the spread across seeds
(the sample standard deviation of the per-seed effects over the square root of their number) and,
where the effect is a difference of error rates on the same test images, the test set's sampling
error. With one seed and no sampling error there is no spread to judge by, and the verdict is
*inconclusive*. Error-rate changes are compared with the paper's as *relative* changes (the change
over the error it starts from): the book's networks start from errors two or three times the
paper's, and a point of a 40% error is not a point of a 13% one. Both are printed. A ratio (a
speed-up) is graded on its logarithm, since a ratio of 1 is no effect.

A number the paper prints (60 million parameters, 55×55 maps) is graded the same way with no noise:
**agrees** when ours rounds to the paper's at the precision the paper prints it, **disagrees**
otherwise.

:data:`CLAIMS` lists every claim the book grades from a stored record or from the package itself,
with the chapter that derives it; :func:`evaluate` grades one, and :func:`scoreboard` writes the
table of all of them that the book's back matter shows (``python -m alexnet_edu scoreboard``).
"""

from __future__ import annotations

import enum
import math
import statistics
import textwrap
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, Union

import numpy as np

from . import paper, records

SIZE_FACTOR = 2.0      # sizes within this factor of the paper's agree
NOISE_SE = 2.0         # an effect is beyond the noise past this many standard errors

Number = Union[int, float]


class Verdict(str, enum.Enum):
    """The book's verdict scale (see the module's docstring)."""

    AGREES = "agrees"
    PARTLY = "partly"
    INCONCLUSIVE = "inconclusive"
    DISAGREES = "disagrees"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Grade:
    """A graded claim: our effect beside the paper's, the noise, the verdict and why."""

    verdict: Verdict
    ours: float                      # mean effect (geometric mean for ratios)
    paper: Optional[float]           # the paper's effect or number; None: the paper states no size
    noise: Optional[float]           # the half-width beyond which the direction counts; None: unknown
    per_seed: tuple[float, ...] = ()
    size: Optional[float] = None     # ours / paper (ratios: of the ratios' logarithms)
    reason: str = ""
    unit: str = ""   # how to print values: "%" (relative changes), "points" (differences of error
    #                  rates), "x" (ratios), "" (numbers)

    def fmt(self, value: Optional[float]) -> str:
        """A value in this grade's unit (minus signs as −)."""
        if value is None:
            return "not stated"
        if self.unit == "%":
            text = f"{100 * value:+.1f}%"
        elif self.unit == "points":
            text = f"{100 * value:+.2f} points"
        elif self.unit == "x":
            text = f"{value:.2f}×"
        elif float(value).is_integer():
            text = f"{int(value):,}"
        else:
            text = f"{value:,.4g}"
        return text.replace("-", "−")

    def noise_text(self) -> str:
        """The noise as it is judged: ± in the effect's unit, or a factor for ratios."""
        if self.noise is None:
            return "not measured"
        if self.unit == "x":
            return f"a factor of {self.noise:.2f}"
        return "±" + self.fmt(self.noise).lstrip("+")

    def __str__(self) -> str:
        seeds = f" ({len(self.per_seed)} seeds: {', '.join(self.fmt(v) for v in self.per_seed)})" \
            if len(self.per_seed) > 1 else ""
        noise = "" if self.noise in (None, 0) else f", noise {self.noise_text()}"
        return (f"ours {self.fmt(self.ours)}{seeds}{noise}; paper {self.fmt(self.paper)} "
                f"-> VERDICT: {self.verdict.value.upper()} ({self.reason})")


def seed_noise(per_seed: Sequence[float], sampling_se: float = 0.0) -> Optional[float]:
    """The noise of the mean of ``per_seed``: :data:`NOISE_SE` times the larger of its standard error
    across seeds and ``sampling_se``; None when neither can be measured (one seed, no sampling error)."""
    seed_se = statistics.stdev(per_seed) / math.sqrt(len(per_seed)) if len(per_seed) > 1 else None
    if seed_se is None and not sampling_se:
        return None
    return NOISE_SE * max(seed_se or 0.0, sampling_se)


def difference_se(error: float, images: int) -> float:
    """The sampling standard error of a difference of two error rates near ``error``, each measured
    on the same ``images`` test images, taken as if independent: √(2e(1−e)/N). Predictions on the
    same images are positively correlated, so the true error of the difference is smaller and the
    rule errs towards *inconclusive*."""
    return math.sqrt(2 * error * (1 - error) / images)


def grade(ours: Union[Number, Sequence[Number]], paper_value: Optional[Number] = None, *,
          expect: Optional[int] = None, sampling_se: float = 0.0, ratio: bool = False,
          bound: str = "exact", significant: Optional[int] = None, unit: str = "") -> Grade:
    """Grade our measurement of a claim against the paper's, on the book's one scale.

    ``ours``: the effect per seed (a difference, a relative change, or a ratio with ``ratio=True``),
    or one number. ``paper_value``: the paper's effect; None when the paper states only a direction,
    then given by ``expect`` (+1 or −1). ``sampling_se``: the standard error of the effect from the
    test set (see :func:`difference_se`), in the effect's units. ``bound``: "exact", or "lower" /
    "upper" when runs were cut short so that the true effect is at least / at most ours (for ratios:
    in the ratio itself), or "none" when it could be anything.

    With ``significant`` the claim is a number the paper prints to that many significant figures:
    it agrees when ``ours`` rounds to it, and disagrees otherwise.
    """
    values = [float(v) for v in (ours if isinstance(ours, (list, tuple, np.ndarray)) else [ours])]
    if not values:
        raise ValueError("grade() needs at least one measured value")
    if significant is not None:
        if paper_value is None or len(values) != 1:
            raise ValueError("a printed number is graded with one value of ours and the paper's number")
        same = _round_sig(values[0], significant) == _round_sig(float(paper_value), significant)
        figures = f"{significant} significant figure" + ("s" if significant > 1 else "")
        reason = (f"equal at the paper's {figures}" if same else
                  f"{_round_sig(values[0], significant):,.6g} at the paper's {figures}, "
                  f"not {float(paper_value):,.6g}")
        return Grade(Verdict.AGREES if same else Verdict.DISAGREES, values[0], float(paper_value), 0.0,
                     reason=reason, unit=unit)
    if bound not in ("exact", "lower", "upper", "none"):
        raise ValueError(f"bound must be 'exact', 'lower', 'upper' or 'none', not {bound!r}")
    if ratio and min(values) <= 0:
        raise ValueError("ratios must be positive")
    if expect is None:
        if paper_value is None or paper_value == (1 if ratio else 0):
            raise ValueError("give the paper's effect, or its direction with expect=+1 or expect=-1")
        expect = 1 if (math.log(paper_value) if ratio else paper_value) > 0 else -1
    if expect not in (1, -1):
        raise ValueError(f"expect must be +1 or -1, not {expect!r}")

    logs = [math.log(v) for v in values] if ratio else values
    centre = statistics.mean(logs)
    noise = seed_noise(logs, sampling_se)
    shown = math.exp(centre) if ratio else centre
    # the interval the true effect lies in, as far as the bound says; turned so the paper's side is +
    low, high = {"exact": (centre, centre), "lower": (centre, math.inf), "upper": (-math.inf, centre),
                 "none": (-math.inf, math.inf)}[bound]
    low, high = sorted((expect * low, expect * high))
    target = None if paper_value is None else expect * (math.log(paper_value) if ratio else paper_value)
    size = None if target is None else (expect * centre) / target

    def made(verdict: Verdict, reason: str) -> Grade:
        per_seed = tuple(values) if len(values) > 1 else ()
        noise_shown = None if noise is None else (math.exp(noise) if ratio else noise)
        return Grade(verdict, shown, None if paper_value is None else float(paper_value), noise_shown,
                     per_seed, size, reason, unit or ("x" if ratio else ""))

    if noise is None:
        return made(Verdict.INCONCLUSIVE, "one seed: no spread to judge the noise by")
    if low > noise:
        if target is None:
            return made(Verdict.AGREES, "the paper's direction, beyond the noise; the paper states no size")
        lo, hi = target / SIZE_FACTOR, target * SIZE_FACTOR
        if lo <= low and high <= hi:
            return made(Verdict.AGREES, f"the paper's direction, beyond the noise; {size:.2f} times its size"
                                        + (" in logarithms" if ratio else ""))
        if high < lo or low > hi:
            which = "smaller" if high < lo else "larger"
            how = f"{size:.2f} times" if bound == "exact" else "more than twice" if which == "larger" \
                else "less than half"
            how += " (in logarithms)" if ratio else ""
            return made(Verdict.PARTLY, f"the paper's direction, beyond the noise, but {which}: {how} its size")
        return made(Verdict.INCONCLUSIVE, "the paper's direction, beyond the noise; the runs were cut short, "
                                          "so whether the size is within a factor of two is open")
    if high < -noise:
        return made(Verdict.DISAGREES, "the opposite direction, beyond the noise")
    if bound == "exact":
        return made(Verdict.INCONCLUSIVE, "the effect is within the noise")
    return made(Verdict.INCONCLUSIVE, "runs cut short leave the effect's direction open")


def _round_sig(value: float, digits: int) -> float:
    if value == 0:
        return 0.0
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))


# --- the claims the book tests ------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A claim of the paper that a chapter tests, and how to grade it from the stored records."""

    id: str
    chapter: str                 # the chapter's file name in book/, without .ipynb
    where: str                   # where the paper says it (§, table, figure)
    says: str                    # the claim, in a few words
    paper: str                   # the paper's number, as a reader would write it
    measure: Callable[[Optional[str]], Grade] = field(repr=False)
    scale: Callable[[Optional[str]], str] = field(repr=False)   # what our measurement was made on


def final_errors(record: dict, field_: str, key: str = "test_error") -> dict:
    """``{value of config[field_]: {seed: the last epoch's key}}`` for an ablation record."""
    final: dict = {}
    for run in record["runs"]:
        final.setdefault(run["config"][field_], {})[run["seed"]] = run["epochs"][-1][key]
    return final


def converged_epoch(test_errors: Sequence[float], within: float = 0.005) -> int:
    """The first epoch (1-based) whose test error is within ``within`` of the run's lowest: where a
    run with a fixed number of epochs stopped improving (0.5 points is about one binomial standard
    error of a test error between 30% and 70% on 10,000 images)."""
    errors = np.asarray(test_errors, dtype=float)
    return int(np.argmax(errors <= errors.min() + within)) + 1


def _cifar_scale(record: dict, seeds: Optional[int] = None) -> str:
    """What an experiment on CIFAR-10 ran on; ``seeds``: the number of seeds, where it is not the
    record's own (a claim measured on several records)."""
    seeds = seeds or len(record.get("seeds") or {run["seed"] for run in record["runs"]})
    epochs = record.get("epochs", record.get("max_epochs"))
    seeds_text = "one seed" if seeds == 1 else f"{seeds} seeds"
    test = record["data"].get("test_images")
    images = f"{record['data']['train_images']:,} training" + (f" and {test:,} test images" if test else " images")
    return f"CIFAR-10 (JPEG copy), {images}, {epochs:g} epochs, {seeds_text}"


def _relative_changes(record: dict, field_: str, without, with_) -> list:
    """Per seed, (final test error with − without) / without, for an ablation's two networks."""
    final = final_errors(record, field_)
    return [(final[with_][s] - final[without][s]) / final[without][s] for s in sorted(final[without])]


def _sampling_relative(record: dict, field_: str, without) -> float:
    base = statistics.mean(final_errors(record, field_)[without].values())
    return difference_se(base, record["data"]["test_images"]) / base


FIGURE1_RECORDS = ("figure1", "figure1_seed1")   # one record per seed of Figure 1's sweep


def figure1_records(folder: Optional[str] = None) -> list[dict]:
    """The records of Figure 1's sweep, one per seed (:data:`FIGURE1_RECORDS`, those that exist)."""
    found = []
    for name in FIGURE1_RECORDS:
        try:
            found.append(records.load(name, folder))
        except records.RecordNotFoundError:
            if name == FIGURE1_RECORDS[0]:
                raise
    return found


def _relu(folder):
    speedups, bounds = [], set()
    for record in figure1_records(folder):
        best = record["best"]
        if "relu" not in best:          # ReLU never reached the target: no speed-up to measure
            speedups.append(1.0)
            bounds.add("none")
        elif "tanh" not in best:        # tanh never reached it: the speed-up is at least this
            speedups.append(record["max_epochs"] / best["relu"]["epochs_to_target"])
            bounds.add("lower")
        else:
            speedups.append(best["tanh"]["epochs_to_target"] / best["relu"]["epochs_to_target"])
    bound = "none" if "none" in bounds else "lower" if bounds else "exact"
    return grade(speedups, paper.RELU_SPEEDUP, ratio=True, bound=bound)


def _relu_scale(folder) -> str:
    found = figure1_records(folder)
    grids = "; ".join(f"seed {r['runs'][0]['seed']}: the best of {len(r['lrs'])} learning rates per unit"
                      for r in found)
    return _cifar_scale(found[0], seeds=len(found)) + f", one sweep per seed ({grids})"


def _lrn(name):
    def measure(folder):
        record = records.load(name, folder)
        return grade(_relative_changes(record, "lrn", False, True), LRN_CIFAR_RELATIVE,
                     sampling_se=_sampling_relative(record, "lrn", False), unit="%")
    return measure


def _pool_config(run: dict) -> str:
    return "overlapping" if run["config"]["pool_kernel"] > run["config"]["pool_stride"] else "non-overlapping"


def train_error_at(ticks: Sequence[dict], epoch: float, window: float = 0.3) -> float:
    """The training error at the end of ``epoch`` from a record's ticks (``{"epoch", "train_error"}``,
    measured on the batches as they were trained): the mean of the ticks that end in
    (epoch − window, epoch], each weighted by the share of the epoch it covers."""
    total = weight = previous = 0.0
    for tick in ticks:
        length, previous = tick["epoch"] - previous, tick["epoch"]
        if epoch - window < tick["epoch"] <= epoch + 1e-9:
            total += length * tick["train_error"]
            weight += length
    if not weight:
        raise ValueError(f"no tick ends within {window} epochs before epoch {epoch}")
    return total / weight


def _pool_finals(record: dict, what: str) -> dict:
    """{scheme: {seed: final test error, or final gap (test error − training error at the end)}}."""
    out: dict = {}
    for run in record["runs"]:
        last = run["epochs"][-1]
        value = last["test_error"]
        if what == "gap":
            value -= train_error_at(run["ticks"], last["epoch"])
        out.setdefault(_pool_config(run), {})[run["seed"]] = value
    return out


def _pooling(what):
    def measure(folder):
        record = records.load("ablation_pooling", folder)
        finals = _pool_finals(record, what)
        seeds = sorted(finals["overlapping"])
        base = statistics.mean(_pool_finals(record, "test")["non-overlapping"].values())
        se = difference_se(base, record["data"]["test_images"])
        if what == "gap":
            changes = [finals["overlapping"][s] - finals["non-overlapping"][s] for s in seeds]
            return grade(changes, expect=-1, sampling_se=se, unit="points")
        changes = [(finals["overlapping"][s] - finals["non-overlapping"][s]) / finals["non-overlapping"][s]
                   for s in seeds]
        return grade(changes, POOL_TOP1_RELATIVE, sampling_se=se / base, unit="%")
    return measure


def _dropout_gap(which: str):
    """The final gap (test − training error) without dropout ("without", the paper: positive), or
    its change with dropout ("change", the paper: negative)."""
    def measure(folder):
        record = records.load("ablation_dropout", folder)
        test = final_errors(record, "dropout")
        train = final_errors(record, "dropout", "train_error_eval")
        gap = {d: {s: test[d][s] - train[d][s] for s in test[d]} for d in test}
        seeds = sorted(gap[0.0])
        se = difference_se(statistics.mean(test[0.0].values()), record["data"]["test_images"])
        if which == "without":
            return grade([gap[0.0][s] for s in seeds], expect=1, sampling_se=se, unit="points")
        return grade([gap[paper.DROPOUT_P][s] - gap[0.0][s] for s in seeds], expect=-1, sampling_se=se,
                     unit="points")
    return measure


def _dropout_iterations(folder):
    record = records.load("ablation_dropout", folder)
    epochs = round(record["epochs"])
    conv = {(run["config"]["dropout"], run["seed"]): converged_epoch([e["test_error"] for e in run["epochs"]])
            for run in record["runs"]}
    seeds = sorted({s for _, s in conv})
    cut = {d: any(conv[d, s] == epochs for s in seeds) for d in (0.0, paper.DROPOUT_P)}
    bound = {(False, False): "exact", (True, False): "lower", (False, True): "upper",
             (True, True): "none"}[cut[paper.DROPOUT_P], cut[0.0]]
    return grade([conv[paper.DROPOUT_P, s] / conv[0.0, s] for s in seeds], paper.DROPOUT_ITERATIONS_FACTOR, ratio=True,
                 bound=bound)


def _ten_crop(k):
    def measure(folder):
        record = records.load("ten_crop", folder)
        centre = [run["test"]["centre"][k] for run in record["runs"]]
        ten = [run["test"]["ten"][k] for run in record["runs"]]
        base = statistics.mean(centre)
        paper_one, paper_ten = {"top1": (paper.ILSVRC2010_TEST_TOP1_ONE_PATCH, paper.ILSVRC2010_TEST_TOP1),
                                "top5": (paper.ILSVRC2010_TEST_TOP5_ONE_PATCH, paper.ILSVRC2010_TEST_TOP5)}[k]
        return grade([(t - c) / c for t, c in zip(ten, centre)], (paper_ten - paper_one) / paper_one,
                     sampling_se=difference_se(base, record["data"]["test_images"]) / base, unit="%")
    return measure


def _ensemble(k):
    def measure(folder):
        record = records.load("ensemble", folder)
        single = [run["test"][k]["first"] for run in record["runs"]]
        every = record["ensembles"][-1]
        if every["members"] != len(single) or every["subsets"] != 1:
            raise ValueError("the ensemble record's last row should average all its networks")
        base = statistics.mean(single)
        one, five = paper.TABLE2_ILSVRC2012["1 CNN"], paper.TABLE2_ILSVRC2012["5 CNNs"]
        i = 0 if k == "top1" else 1
        return grade([(every[k]["first"] - s) / s for s in single], (five[i] - one[i]) / one[i],
                     sampling_se=difference_se(base, record["data"]["test_images"]) / base, unit="%")
    return measure


def _colour(folder):
    import torch

    from .visualize import colour_fraction, column_test

    record = records.load("pictures_imagenette", folder)
    final = records.arrays("pictures_imagenette", folder)[f"conv1_epoch_{record['epochs_done']:04d}"]
    test = column_test(colour_fraction(torch.from_numpy(final.astype(np.float32))))
    return grade([test["difference"]], expect=1, sampling_se=test["null_sd"])


def _value(compute, stated, significant):
    def measure(folder):
        return grade(compute(), stated, significant=significant)
    return measure


def _architecture_counts() -> tuple[int, int, int]:
    """conv1's side from a 224 input, conv1's neurons, the network's neurons (conv1 to fc8)."""
    from .shapes import conv_output_size, layer_shapes

    conv1 = next(layer for layer in paper.ARCHITECTURE if layer.name == "conv1")
    side = conv_output_size(paper.INPUT_SIZE_STATED, conv1.kernel, conv1.stride, conv1.padding)
    rows = {row.name: row for row in layer_shapes()}
    neurons = [rows[name].neurons for name in ("conv1", "conv2", "conv3", "conv4", "conv5",
                                                        "fc6", "fc7", "fc8")]
    return side, neurons[0], sum(neurons)


def _parameters() -> int:
    from .shapes import layer_shapes

    return sum(row.params for row in layer_shapes())


def _patches() -> int:
    from .transforms import distinct_patches

    return distinct_patches(paper.RESIZE_SIZE, paper.CROP_SIZE)


def _scale_text(text: str) -> Callable[[Optional[str]], str]:
    return lambda folder: text


def _record_scale(name: str, extra: str = "") -> Callable[[Optional[str]], str]:
    return lambda folder: _cifar_scale(records.load(name, folder)) + extra


# The relative changes the claims compare with. The paper does not say which error its pooling
# gain of 0.4 points came off; its headline network's top-1 test error (Table 1, 37.5%) is taken as
# the base.
LRN_CIFAR_RELATIVE = (paper.LRN_CIFAR_ERRORS[1] - paper.LRN_CIFAR_ERRORS[0]) / paper.LRN_CIFAR_ERRORS[0]
POOL_TOP1_RELATIVE = -paper.POOL_GAIN_TOP1 / paper.ILSVRC2010_TEST_TOP1

CLAIMS: dict[str, Claim] = {c.id: c for c in (
    Claim("input-dimension", "21_shape_arithmetic", "Figure 2", "the input is 150,528-dimensional",
          "150,528", _value(lambda: paper.INPUT_SIZE_STATED ** 2 * paper.IN_CHANNELS, paper.INPUT_DIMENSION_STATED,
                            6), _scale_text("arithmetic: 224·224·3")),
    Claim("conv1-maps", "21_shape_arithmetic", "§3.5, Figure 2", "conv1 turns the 224×224 input into 55×55 maps",
          "55", _value(lambda: _architecture_counts()[0], 55, 2),
          _scale_text("arithmetic: ⌊(224 − 11)/4⌋ + 1")),
    Claim("conv1-neurons", "21_shape_arithmetic", "Figure 2", "conv1 has 253,440 neurons",
          "253,440", _value(lambda: _architecture_counts()[1], paper.NEURONS_STATED[0], 5),
          _scale_text("arithmetic: 55·55·96, the layer §3.5 describes")),
    Claim("neurons", "21_shape_arithmetic", "abstract", "the network has 650,000 neurons", "650,000",
          _value(lambda: _architecture_counts()[2], 650_000, 2),
          _scale_text("arithmetic: conv1 to fc8 of §3.5's layers, as the caption of Figure 2 counts them")),
    Claim("parameters", "21_shape_arithmetic", "abstract", "the network has 60 million parameters", "60 million",
          _value(_parameters, 60_000_000, 1), _scale_text("count: weights and biases of §3.5's layers")),
    Claim("augmentation-factor", "13_augmentation", "§4.1",
          "random crops and reflections enlarge the training set by a factor of 2048", "2048",
          _value(_patches, paper.AUGMENTATION_FACTOR_STATED, 4),
          _scale_text("count: distinct 224×224 patches of a 256×256 image, and their reflections")),
    Claim("relu-speed", "22_relu", "§3.1, Figure 1",
          "ReLUs reach 25% training error six times faster than tanh units", "6×", _relu, _relu_scale),
    Claim("lrn-cifar", "23_lrn", "§3.3", "response normalisation lowers CIFAR-10 test error from 13% to 11%",
          "−15.4% (13% → 11%)", _lrn("ablation_lrn"),
          _record_scale("ablation_lrn", "; a small 3-conv network, ImageNet's LRN constants")),
    Claim("lrn-cifar-conv-local", "23_lrn", "§3.3",
          "response normalisation lowers CIFAR-10 test error from 13% to 11% (the paper's network)",
          "−15.4% (13% → 11%)", _lrn("ablation_lrn_conv_local"),
          _record_scale("ablation_lrn_conv_local", "; cuda-convnet's layers-conv-local network, 24×24 crops")),
    Claim("pooling-error", "24_overlapping_pooling", "§3.4",
          "overlapping pooling lowers top-1 error by 0.4 points", "−1.1% (0.4 points of 37.5%)",
          _pooling("test"), _record_scale("ablation_pooling")),
    Claim("pooling-overfitting", "24_overlapping_pooling", "§3.4",
          "overlapping pooling makes a network slightly more difficult to overfit", "a smaller gap (no size)",
          _pooling("gap"), _record_scale("ablation_pooling", "; gap = test − training error")),
    Claim("dropout-overfitting", "31_dropout", "§4.2", "without dropout the network overfits substantially",
          "a gap (no size)", _dropout_gap("without"),
          _record_scale("ablation_dropout", "; gap = test − training error")),
    Claim("dropout-gap", "31_dropout", "§4.2", "dropout reduces overfitting", "a smaller gap (no size)",
          _dropout_gap("change"),
          _record_scale("ablation_dropout", "; gap = test − training error")),
    Claim("dropout-iterations", "31_dropout", "§4.2",
          "dropout roughly doubles the iterations required to converge", "2×", _dropout_iterations,
          _record_scale("ablation_dropout", "; converged: within 0.5 points of the run's lowest test error")),
    Claim("ten-crop-top1", "41_ten_crop", "§4.1, §6", "ten patches lower top-1 error (39.0% → 37.5%)",
          "−3.8% (39.0% → 37.5%)", _ten_crop("top1"), _record_scale("ten_crop", "; 24×24 crops of 32×32")),
    Claim("ten-crop-top5", "41_ten_crop", "§4.1, §6", "ten patches lower top-5 error (18.3% → 17.0%)",
          "−7.1% (18.3% → 17.0%)", _ten_crop("top5"), _record_scale("ten_crop", "; 24×24 crops of 32×32")),
    Claim("ensemble-top1", "45_ensembles", "§6, Table 2", "five CNNs averaged lower top-1 error (40.7% → 38.1%)",
          "−6.4% (40.7% → 38.1%)", _ensemble("top1"), _record_scale("ensemble", "; one network vs five")),
    Claim("ensemble-top5", "45_ensembles", "§6, Table 2", "five CNNs averaged lower top-5 error (18.2% → 16.4%)",
          "−9.9% (18.2% → 16.4%)", _ensemble("top5"), _record_scale("ensemble", "; one network vs five")),
    Claim("colour-columns", "42_first_layer", "§6.1, Figure 3",
          "one GPU's conv1 kernels are largely colour-agnostic, the other's colour-specific",
          "the columns differ (no size)", _colour,
          lambda folder: (f"Imagenette (10 classes), {records.load('pictures_imagenette', folder)['epochs_done']} "
                          "epochs, one run; |difference| of the columns' mean colour fraction")),
)}


def evaluate(claim_id: str, folder: Optional[str] = None) -> Grade:
    """Grade one of :data:`CLAIMS` from the stored records (or those in ``folder``, see
    :func:`alexnet_edu.records.load`)."""
    if claim_id not in CLAIMS:
        raise KeyError(f"no claim {claim_id!r}; the book tests: {', '.join(CLAIMS)}")
    return CLAIMS[claim_id].measure(folder)


def report(*claim_ids: str, folder: Optional[str] = None, width: int = 88) -> str:
    """What a chapter prints for the claims it grades: each claim, where it was measured, ours beside
    the paper's and the verdict with its reason, wrapped to ``width`` columns."""
    blocks = []
    for claim_id in claim_ids:
        claim, g = CLAIMS.get(claim_id), evaluate(claim_id, folder)
        lines = [f"{claim.says} ({claim.where}; paper: {claim.paper})",
                 f"measured on: {claim.scale(folder)}", str(g)]
        blocks.append("\n".join(textwrap.fill(line, width, subsequent_indent="    ") for line in lines))
    return "\n\n".join(blocks)


SCOREBOARD_COMMAND = "python -m alexnet_edu scoreboard --out book/50_scoreboard.md"


def _chapter_order(chapter: str) -> int:
    return int(chapter.split("_", 1)[0])


def scoreboard(folder: Optional[str] = None) -> str:
    """The claims scoreboard page (MyST markdown): every claim of :data:`CLAIMS`, graded from the
    records, in the book's chapter order. The book's copy is made by :data:`SCOREBOARD_COMMAND`."""
    graded = [(claim, evaluate(claim.id, folder)) for claim in
              sorted(CLAIMS.values(), key=lambda c: _chapter_order(c.chapter))]
    counts = {v: sum(g.verdict is v for _, g in graded) for v in Verdict}
    lines = [
        "# Claims scoreboard",
        "",
        f"<!-- Made by `{SCOREBOARD_COMMAND}` from the stored records; do not edit by hand. "
        "tests/test_claims.py fails when this page is stale. -->",
        "",
        f"Every claim of the paper that this book tests, {len(graded)} in all, graded from the records the "
        "book ships (`alexnet_edu.records`) by one rule (`alexnet_edu.claims`): "
        + ", ".join(f"**{v.value}** {counts[v]}" for v in Verdict) + ".",
        "",
        "The scale, in full: a claim **agrees** when our effect has the paper's direction beyond the noise "
        "and a size within a factor of two of the paper's (or the paper states no size); **partly** when "
        "the direction holds beyond the noise but the size does not; **inconclusive** when the effect is "
        "within the noise (twice the larger of the seed-to-seed and the test set's standard errors), when "
        "runs cut short leave it open, or when one seed gives no spread; **disagrees** when the effect goes "
        "the other way beyond the noise. Changes of an error rate are compared as relative changes, because "
        "the book's networks start from other errors than the paper's. A number the paper prints agrees when "
        "ours rounds to it at the paper's precision.",
        "",
        "Our numbers come from small networks on CIFAR-10 and Imagenette, trained for minutes to hours on "
        "two CPU cores; the paper's from ImageNet, trained for days on two GPUs. A verdict says how our "
        "measurement at that scale stands against the paper's claim, not whether the claim holds on "
        "ImageNet. Each chapter shows how its records were made and the command that remakes them. "
        "What popular accounts of the paper claim is checked against it, on the same scale, in "
        "{doc}`51_popular_accounts`.",
        "",
        "| claim | paper | ours | measured on | verdict | chapter |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for claim, g in graded:
        ours = g.fmt(g.ours)
        if g.per_seed:
            ours += f" (mean of {len(g.per_seed)})"
        if g.noise:
            ours += f", noise {g.noise_text()}"
        cells = [f"{claim.says} ({claim.where})", claim.paper, ours, claim.scale(folder),
                 f"**{g.verdict.value}**: {g.reason}", f"{{doc}}`{claim.chapter}`"]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
