"""Checkers of chapter 21 (shape arithmetic): right answers pass, plausible wrong ones fail."""

from alexnet_edu import exercises


def test_conv1_inputs_checker(capsys):
    assert exercises.check_conv1_inputs({227, 228, 229, 230})
    assert not exercises.check_conv1_inputs({227})
    assert "3 size(s) are missing" in capsys.readouterr().out
    assert not exercises.check_conv1_inputs({224, 227, 228, 229, 230})
    assert "224 gives 54" in capsys.readouterr().out
    assert not exercises.check_conv1_inputs("not numbers")


def test_pool5_checker(capsys):
    assert exercises.check_pool5_shape(227, (256, 6, 6))
    assert exercises.check_pool5_shape(224, (256, 5, 5))
    assert not exercises.check_pool5_shape(224, (256, 6, 6))
    assert not exercises.check_pool5_shape(227, (384, 6, 6))
    assert "channels" in capsys.readouterr().out


def test_smallest_input_checker(capsys):
    assert exercises.check_smallest_input(67)
    assert not exercises.check_smallest_input(66)
    assert "too small" in capsys.readouterr().out
    assert not exercises.check_smallest_input(68)


def test_pool5_checker_on_an_input_too_small(capsys):
    assert not exercises.check_pool5_shape(50, (256, 1, 1))
    assert "too small" in capsys.readouterr().out


def test_shape_checkers_refuse_malformed_input(capsys):
    for call in (lambda: exercises.check_conv1_inputs(...), lambda: exercises.check_conv1_inputs({227.5}),
                 lambda: exercises.check_pool5_shape(256, ...), lambda: exercises.check_pool5_shape(256, "256x6x6"),
                 lambda: exercises.check_smallest_input(...), lambda: exercises.check_smallest_input("sixty-seven")):
        assert not call()
        assert "Not yet." in capsys.readouterr().out
    assert exercises.check_smallest_input(67.0)                       # a whole float counts


def _by_hand(n, k=11, s=4, p=2):
    """Windows at −p, −p + s, …, as long as one fits in the padded input: the positions they read."""
    read, start = set(), -p
    while start + k <= n + p:
        read.update(range(start, start + k))
        start += s
    return read


def test_right_zeros_read_checker(capsys):
    for n in (224, 225, 226, 227, 230):
        truth = len({x for x in _by_hand(n) if x >= n})
        assert exercises.check_right_zeros_read(n, truth), n
    assert exercises.check_right_zeros_read(224, 3, kernel=11, stride=4, padding=3) == (
        len({x for x in _by_hand(224, p=3) if x >= 224}) == 3)
    capsys.readouterr()
    assert not exercises.check_right_zeros_read(224, 2)                  # every padded zero
    out = capsys.readouterr().out
    assert "Not every padded zero" in out and "1 of the" not in out
    assert not exercises.check_right_zeros_read(226, 2)                  # 2 − 0, and all the padding
    assert "Not every padded zero" in capsys.readouterr().out
    assert not exercises.check_right_zeros_read(226, 1)                  # the answer for 224
    out = capsys.readouterr().out
    assert "Place the windows" in out and "0 of the" not in out
    for bad in ("one", ..., 1.5):
        assert not exercises.check_right_zeros_read(224, bad)
        assert "Not yet." in capsys.readouterr().out
    assert not exercises.check_right_zeros_read(5, 0)                    # the window does not fit
    assert "does not fit" in capsys.readouterr().out


def test_unread_pixels_checker(capsys):
    for n in (224, 226, 227, 229):
        truth = set(range(n)) - _by_hand(n)
        assert exercises.check_unread_pixels(n, truth), n
    assert exercises.check_unread_pixels(226, [225])
    assert exercises.check_unread_pixels(224, set())
    assert exercises.check_unread_pixels(226, 225)                       # one index on its own
    assert "Correct." in capsys.readouterr().out
    cases = [(set(), "Some real pixels"), ({224, 225}, "the pixel it ends on"),
             ({225, 226, 227}, "padded zeros are not pixels"), ({0, 225}, "Place the windows")]
    for answer, hint in cases:
        assert not exercises.check_unread_pixels(226, answer), answer
        out = capsys.readouterr().out
        assert "Not yet." in out and hint in out, (answer, out)
        assert "[225]" not in out and "{225}" not in out, out
    assert not exercises.check_unread_pixels(226, set(range(226)))       # a long set is shortened
    out = capsys.readouterr().out
    assert "(226 values)" in out and "225}" in out and "{225}" not in out
    for bad in ("225", ..., {224.5}):
        assert not exercises.check_unread_pixels(226, bad)
        assert "Not yet." in capsys.readouterr().out


def test_exercises_pass_with_right_answers_computed_by_hand(capsys):
    # conv1: ⌊(n − 11)/4⌋ + 1 = 55 ⇔ 227 ≤ n < 231
    assert exercises.check("shapes-conv1-inputs", conv1_sizes={n for n in range(200, 260) if (n - 11) // 4 + 1 == 55})
    side = 256
    for k, s, p in ((11, 4, 0), (3, 2, 0), (5, 1, 2), (3, 2, 0), (3, 1, 1), (3, 1, 1), (3, 1, 1), (3, 2, 0)):
        side = (side + 2 * p - k) // s + 1
    assert exercises.check("shapes-pool5-256", pool5_shape_256=(256, side, side))
    assert exercises.check("shapes-smallest-input", smallest_side=((2 * 2 + 3 - 1) * 2 + 3 - 1) * 4 + 11)
    assert exercises.check("shapes-ceil-as-padding", zeros_read_224=len({x for x in _by_hand(224) if x >= 224}),
                           zeros_read_226=len({x for x in _by_hand(226) if x >= 226}),
                           unread_226=set(range(226)) - _by_hand(226))
    assert "Not yet." not in capsys.readouterr().out
