"""Chapter 12 (preprocessing): the exercise checkers pass right answers and fail plausible wrong ones."""

import math

import pytest
import torch

from alexnet_edu import exercises


def test_rescaled_size_checker(capsys):
    assert exercises.check_rescaled_size(500, 375, (341, 256))      # 4:3: 256·500/375 = 341.3
    assert exercises.check_rescaled_size(375, 500, (256, 341))      # portrait
    assert exercises.check_rescaled_size(224, 224, (256, 256))      # the offline Imagenette copy
    assert exercises.check_rescaled_size(640, 427, (383, 256))      # 383.7: whole pixels, not rounded
    capsys.readouterr()
    assert not exercises.check_rescaled_size(640, 427, (384, 256))
    assert "does not round" in capsys.readouterr().out
    assert not exercises.check_rescaled_size(500, 375, (256, 341))
    assert "swapped" in capsys.readouterr().out
    assert not exercises.check_rescaled_size(500, 375, (256, 192))  # the longer side made 256
    assert "shorter side becomes" in capsys.readouterr().out
    assert not exercises.check_rescaled_size(500, 375, (500, 375))
    assert not exercises.check_rescaled_size(500, 375, "341x256")
    assert not exercises.check_rescaled_size(0, 375, (341, 256))


def test_crop_fraction_checker(capsys):
    assert exercises.check_crop_fraction(500, 375, 256 / 341)
    assert exercises.check_crop_fraction(500, 375, 375 / 500)       # short/long is close enough
    assert exercises.check_crop_fraction(1920, 1080, 9 / 16)
    assert exercises.check_crop_fraction(224, 224, 1.0)
    capsys.readouterr()
    assert not exercises.check_crop_fraction(500, 375, 75.07)
    assert "percentage" in capsys.readouterr().out
    assert not exercises.check_crop_fraction(500, 375, 1 - 256 / 341)
    assert "cuts away" in capsys.readouterr().out
    assert not exercises.check_crop_fraction(500, 375, (256 / 341) ** 2)
    assert "Only one side is cut" in capsys.readouterr().out
    assert not exercises.check_crop_fraction(1920, 1080, 0.75)
    assert not exercises.check_crop_fraction(500, 375, "three quarters")


def _tiny():
    g = torch.Generator().manual_seed(0)
    return torch.randint(100, 256, (4, 3, 2, 2), generator=g, dtype=torch.uint8)


def test_mean_image_checker(capsys):
    tiny = _tiny()
    mean_image = tiny.double().mean(0)
    mean_pixel = tiny.double().mean((0, 2, 3))
    assert exercises.check_mean_image(tiny, mean_image)
    assert exercises.check_mean_image(tiny.tolist(), mean_image.tolist())
    assert exercises.check_mean_image(tiny, mean_pixel, kind="pixel")
    capsys.readouterr()
    assert not exercises.check_mean_image(tiny, mean_pixel)
    assert "mean pixel" in capsys.readouterr().out
    assert not exercises.check_mean_image(tiny, mean_image, kind="pixel")
    assert "mean image" in capsys.readouterr().out
    assert not exercises.check_mean_image(tiny, tiny.double().mean((2, 3)))
    assert "one mean per image" in capsys.readouterr().out
    wrapped = sum(tiny) / 4  # Python's sum adds the uint8 images as uint8: it wraps at 256
    assert not torch.allclose(wrapped.double(), mean_image)
    assert not exercises.check_mean_image(tiny, wrapped)
    assert "wrapped" in capsys.readouterr().out
    if not torch.equal(mean_image.floor(), mean_image):
        assert not exercises.check_mean_image(tiny, mean_image.floor())
        assert "fraction" in capsys.readouterr().out
    assert not exercises.check_mean_image(tiny, mean_image + 1)
    assert not exercises.check_mean_image(tiny, mean_image, kind="median")
    assert not exercises.check_mean_image(torch.zeros(4, 2, 2), mean_image)


def test_rescale_and_crop_checkers_refuse_malformed_input(capsys):
    for answer in ("341x256", ..., (341,), (341.5, 256)):
        assert not exercises.check_rescaled_size(500, 375, answer)
        assert "Not yet." in capsys.readouterr().out
    for answer in ("three quarters", ..., [0.5, 0.5]):
        assert not exercises.check_crop_fraction(500, 375, answer)
        assert "Not yet." in capsys.readouterr().out
    assert not exercises.check_mean_image(_tiny(), ...)
    assert "Replace ..." in capsys.readouterr().out
    assert not exercises.check_mean_image(_tiny(), "the mean")
    assert "Not yet." in capsys.readouterr().out


def test_wrong_answers_never_print_the_right_one(capsys):
    for answer in ((384, 256), (256, 383), (256, 170), (640, 427)):
        assert not exercises.check_rescaled_size(640, 427, answer)
        assert "383" not in capsys.readouterr().out.split(" is not ", 1)[1]
    truth = 256 / 383
    for answer in (100 * truth, 1 - truth, truth ** 2, 0.5):
        assert not exercises.check_crop_fraction(640, 427, answer)
        out = capsys.readouterr().out
        assert f"{truth:.1%}" not in out and f"{truth:.3f}" not in out, out


def _smooth_mean_image():
    """A mean image with a vertical ramp (a bright top, as with sky) and a bump in the middle."""
    rows = torch.arange(256, dtype=torch.float64)
    ramp = 140 - 0.2 * rows[:, None] + 0 * rows[None, :]
    bump = 10 * torch.exp(-((rows[:, None] - 128) ** 2 + (rows[None, :] - 128) ** 2) / 2000)
    return torch.stack([ramp + bump, ramp - 5, ramp + 8 + bump])


def _rms_by_hand(mu, t, l):
    patch, centre = mu[:, t:t + 224, l:l + 224], mu[:, 16:240, 16:240]
    return math.sqrt(((patch - centre) ** 2).sum().item() / (3 * 224 * 224))


def test_crop_mean_difference_checker(capsys):
    mu = _smooth_mean_image()
    corner = _rms_by_hand(mu, 0, 0)
    everywhere = [[_rms_by_hand(mu, t, l) for l in range(33)] for t in range(33)]
    worst = max(max(row) for row in everywhere)
    assert exercises.check_crop_mean_difference(mu, corner)
    assert exercises.check_crop_mean_difference(mu, round(corner, 2))
    assert exercises.check_crop_mean_difference(mu, worst, offset=None)
    assert exercises.check_crop_mean_difference(mu, _rms_by_hand(mu, 5, 30), offset=(5, 30))
    assert exercises.check_crop_mean_difference(mu.float().tolist(), corner)
    assert exercises.check_crop_mean_difference(mu, 0.0, offset=(16, 16))
    assert "Correct." in capsys.readouterr().out
    diff = mu[:, :224, :224] - mu[:, 16:240, 16:240]
    patch = mu[:, :224, :224]
    cases = [
        (diff.abs().max().item(), None, "largest single difference"),
        (diff.mean().abs().item(), None, "cancel"),
        (corner ** 2, None, "mean square"),
        (((patch - mu.mean((1, 2))[:, None, None]) ** 2).mean().sqrt().item(), None, "mean pixel"),
        (sum(map(sum, everywhere)) / 33 ** 2, "worst", "average over the offsets"),
        (100.0, None, "root of the mean of the squares"),
    ]
    for answer, which, hint in cases:
        offset = None if which == "worst" else (0, 0)
        assert not exercises.check_crop_mean_difference(mu, answer, offset=offset), hint
        out = capsys.readouterr().out
        assert "Not yet." in out and hint in out, (hint, out)
        truth = worst if which == "worst" else corner
        assert f"{truth:.2f}" not in out and f"{truth:.4g}" not in out, out
    for bad in ("a lot", ...):
        assert not exercises.check_crop_mean_difference(mu, bad)
        assert "Not yet." in capsys.readouterr().out
    assert not exercises.check_crop_mean_difference(mu[:, :128], corner)     # not a 256×256 mean image
    assert "shape" in capsys.readouterr().out
    assert not exercises.check_crop_mean_difference(mu, corner, offset=(40, 0))
    assert "offset" in capsys.readouterr().out


# torchvision's AlexNet recipe, written out: ImageNet's mean and std for pixels in [0, 1]
TV_MEAN, TV_STD = torch.tensor([0.485, 0.456, 0.406]).double(), torch.tensor([0.229, 0.224, 0.225]).double()


def test_torchvision_to_paper_checker(capsys):
    mu_bar = torch.tensor([118.0, 116.8, 109.7], dtype=torch.float64)
    a, b = 255 * TV_STD, 255 * TV_MEAN - mu_bar
    z = (torch.rand(3, 4, 4, generator=torch.Generator().manual_seed(0)) * 255).double()   # a 0–255 image x
    tv_input = (z / 255 - TV_MEAN[:, None, None]) / TV_STD[:, None, None]
    assert torch.allclose(a[:, None, None] * tv_input + b[:, None, None], z - mu_bar[:, None, None])
    assert exercises.check_torchvision_to_paper(mu_bar, a, b)
    assert exercises.check_torchvision_to_paper(mu_bar.tolist(), a.tolist(), b.numpy())
    assert "Correct." in capsys.readouterr().out
    cases = [
        (TV_STD, b, "[0, 1]"),
        (1 / (255 * TV_STD), b, "the way back"),
        (1 / TV_STD, b, "do not divide"),
        (a, 255 * TV_MEAN, "subtract the mean pixel"),
        (a, -b, "sign"),
        (a, TV_MEAN - mu_bar / 255, "0–255 scale"),
        (a, -mu_bar, "add it back"),
        (a, b + 3, "then subtract"),
    ]
    for given_a, given_b, hint in cases:
        assert not exercises.check_torchvision_to_paper(mu_bar, given_a, given_b), hint
        out = capsys.readouterr().out
        assert "Not yet." in out and hint in out, (hint, out)
        wrong = out.split("Not yet.", 1)[1]
        assert f"{a[0]:.2f}" not in wrong and f"{b[0]:.2f}" not in wrong, out
    for bad in ("fifty-seven", ..., [1.0, 2.0]):
        assert not exercises.check_torchvision_to_paper(mu_bar, bad, b)
        assert "Not yet." in capsys.readouterr().out


TINY = [[[[200, 180], [60, 20]], [[210, 190], [90, 40]], [[250, 230], [70, 30]]],
        [[[220, 170], [80, 40]], [[220, 200], [100, 60]], [[240, 250], [50, 20]]],
        [[[181, 160], [70, 31]], [[201, 170], [110, 50]], [[230, 241], [61, 40]]]]


def test_exercises_pass_with_right_answers_computed_by_hand(capsys, monkeypatch):
    def by_hand(w, h):   # shorter side 256, the longer one cut to whole pixels
        return (256, 256 * h // w) if w <= h else (256 * w // h, 256)

    sizes = {name: by_hand(*wh) for name, wh in (("camera", (640, 427)), ("scan", (1024, 768)),
                                                 ("portrait", (427, 640)))}
    assert sizes == {"camera": (383, 256), "scan": (341, 256), "portrait": (256, 383)}
    kept = {name: 256 * 256 / (w * h) for name, (w, h) in sizes.items()}
    assert exercises.check("preprocess-rescale", **{f"{n}_size": s for n, s in sizes.items()},
                           **{f"{n}_kept": k for n, k in kept.items()})
    # mean image: each position's three values added by hand, as Python ints
    image = [[[sum(TINY[i][c][y][x] for i in range(3)) / 3 for x in range(2)] for y in range(2)] for c in range(3)]
    pixel = [sum(sum(row) for row in image[c]) / 4 for c in range(3)]
    assert exercises.check("preprocess-tiny-mean", tiny_mean_image=image, tiny_mean_pixel=pixel)
    # the two data-dependent exercises, on a stand-in mean image
    from alexnet_edu.exercises import ch12_preprocessing

    mu = _smooth_mean_image()
    monkeypatch.setattr(ch12_preprocessing, "_chapter_mean_image", lambda: mu)
    worst = max(_rms_by_hand(mu, t, l) for t in range(33) for l in range(33))
    assert exercises.check("preprocess-before-crop", rms_corner=_rms_by_hand(mu, 0, 0), rms_worst=worst)
    mu_bar = mu.mean((1, 2))
    assert exercises.check("preprocess-torchvision", tv_to_paper_a=255 * TV_STD,
                           tv_to_paper_b=255 * TV_MEAN - mu_bar)
    assert "Not yet." not in capsys.readouterr().out


def test_data_exercises_read_the_chapters_mean_image(monkeypatch):
    """On the real data (quick mode's 300 images), when it is here."""
    from alexnet_edu.data import DataNotFoundError
    from alexnet_edu.exercises import ch12_preprocessing

    monkeypatch.setenv("ALEXNET_EDU_QUICK", "1")
    try:
        mu = ch12_preprocessing._chapter_mean_image()
    except DataNotFoundError:
        pytest.skip("Imagenette is not here")
    assert mu.shape == (3, 256, 256)
    assert exercises.check("preprocess-before-crop", rms_corner=_rms_by_hand(mu, 0, 0),
                           rms_worst=max(_rms_by_hand(mu, t, l) for t in range(33) for l in range(33)))
    assert exercises.check("preprocess-torchvision", tv_to_paper_a=255 * TV_STD,
                           tv_to_paper_b=255 * TV_MEAN - mu.mean((1, 2)))
