"""Visible code and prose lines of a built page (tests/book_html.py), on small hand-made pages."""

from book_html import LINE_CHARS, Lines, is_chapter, visible_lines


def page(article: str, outside: str = "") -> str:
    """A page laid out as sphinx-book-theme lays one out: navigation around the article."""
    return (f"<html><body><nav><p>{'Sidebar link. ' * 20}</p></nav>{outside}"
            f'<main><article class="bd-article">{article}</article></main>'
            f"<footer><p>By the authors.</p></footer></body></html>")


def cell(code: str, output: str = "", tags: str = "") -> str:
    source = f'<div class="cell_input docutils container"><div class="highlight"><pre>{code}</pre></div></div>'
    if "hide-input" in tags:
        source = (f'<details class="hide above-input"><summary aria-label="Toggle hidden content">'
                  f'<p class="collapsed admonition-title">Show code cell source</p></summary>{source}</details>')
    out = f'<div class="cell_output docutils container"><pre>{output}</pre></div>' if output else ""
    return f'<div class="cell tag_{tags} docutils container">{source}{out}</div>'


def test_code_lines_are_the_lines_of_each_cell_input():
    html = page(cell("a = 1\nb = 2\n") + cell("print(a)", output="1\n2\n3"))
    assert visible_lines(html) == Lines(code=3, prose=0, hidden_code=0)


def test_a_hide_input_cell_is_folded_and_its_summary_is_not_prose():
    html = page(cell("x = 1\ny = 2\nz = 3", tags="hide-input") + cell("x"))
    assert visible_lines(html) == Lines(code=1, prose=0, hidden_code=3)


def test_an_opened_details_is_visible():
    html = page('<details open><summary>More</summary><p>Shown.</p>'
                '<div class="cell_input"><pre>a\nb</pre></div></details>')
    assert visible_lines(html) == Lines(code=2, prose=1, hidden_code=0)


def test_a_hidden_solution_dropdown_keeps_only_its_title():
    solution = ('<div class="solution dropdown admonition" id="s1">'
                '<p class="admonition-title">Solution to Exercise 1</p>'
                '<section id="solution-content"><p>The answer is 42.</p>'
                + cell("answer = 42\ncheck(answer)") + "</section></div>")
    exercise = '<div class="exercise admonition"><p class="admonition-title">Exercise 1</p><p>Compute it.</p></div>'
    assert visible_lines(page(exercise + solution)) == Lines(code=0, prose=3, hidden_code=2)


def test_prose_is_each_blocks_text_over_the_line_width_rounded_up():
    long = "word " * 40  # 199 characters once whitespace is collapsed: 3 lines of 88
    html = page(f"<h1>Title<a class='headerlink' href='#t'>#</a></h1><p>{long}</p><p>short</p>"
                "<blockquote><div><p>Quoted.</p></div></blockquote>")
    assert len(" ".join(long.split())) == 199 and LINE_CHARS == 88
    assert visible_lines(html).prose == 1 + 3 + 1 + 1


def test_nested_blocks_count_their_own_text_once():
    html = page("<ul><li><p>first item</p></li><li>second<ul><li>nested</li></ul></li></ul>"
                "<dl><dt>term</dt><dd><p>its definition</p></dd></dl>"
                "<table><tr><th>a</th><td>1</td></tr></table>")
    assert visible_lines(html).prose == 3 + 2 + 2


def test_code_outputs_literal_blocks_and_the_navigation_are_not_prose():
    html = page(cell("x", output="<p>not prose</p>")
                + '<div class="highlight-python"><pre>literal\nblock</pre></div>'
                + "<p>Inline <code>code</code> and <span class='math'>\\(x^2\\)</span> are prose.</p>",
                outside="<p>Before the article.</p>")
    assert visible_lines(html) == Lines(code=1, prose=1, hidden_code=0)


def test_a_page_without_code_cells_is_not_a_chapter():
    assert not is_chapter(page("<p>Part I</p>"))
    assert is_chapter(page(cell("x")))
    assert visible_lines(page("<p>Part I</p>")).as_dict() == {"code": 0, "prose": 1, "hidden_code": 0}
