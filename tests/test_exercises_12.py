"""Chapter 12 (preprocessing): the exercise checkers pass right answers and fail plausible wrong ones."""

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
