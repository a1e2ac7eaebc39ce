"""Exercises are numbered within their chapter in the HTML book (alexnet_edu.book_theme)."""

from types import SimpleNamespace

from alexnet_edu.book_theme import chapter_number, renumber_exercises


def test_chapter_numbers_come_from_the_file_names():
    assert chapter_number("book/23_lrn") == 23
    assert chapter_number("23_lrn") == 23
    assert chapter_number("book/intro") is None
    assert chapter_number("book/references") is None


def test_exercises_are_renumbered_per_chapter_in_their_order_and_figures_are_left_alone():
    # what Sphinx assigns without a numbered table of contents: one count across the book
    env = SimpleNamespace(toc_fignumbers={
        "book/22_relu": {"exercise": {"relu-b": (6,), "relu-a": (5,)}, "figure": {"f": (3,)}},
        "book/23_lrn": {"exercise": {"lrn-a": (7,), "lrn-c": (9,), "lrn-b": (8,)}},
        "book/intro": {"exercise": {"x": (1,)}},
    })
    assert renumber_exercises(None, env) == []
    numbers = env.toc_fignumbers
    assert numbers["book/22_relu"]["exercise"] == {"relu-a": (22, 1), "relu-b": (22, 2)}
    assert numbers["book/23_lrn"]["exercise"] == {"lrn-a": (23, 1), "lrn-b": (23, 2), "lrn-c": (23, 3)}
    assert numbers["book/22_relu"]["figure"] == {"f": (3,)}
    assert numbers["book/intro"]["exercise"] == {"x": (1,)}
