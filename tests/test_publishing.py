"""Publishing: the GitHub Actions workflow builds the book with the Makefile's own target and deploys
it to GitHub Pages on a push to the configured branch, and the README links where it is published."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
MAKEFILE = (ROOT / "Makefile").read_text()


def pages_url(repository_url: str) -> str:
    """https://github.com/OWNER/NAME → https://OWNER.github.io/NAME/ (GitHub Pages of a project)."""
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", repository_url)
    assert match, f"repository.url is not a GitHub repository: {repository_url}"
    owner, name = match.groups()
    return f"https://{owner.lower()}.github.io/{name}/"


def _steps(job: str) -> list[dict]:
    return WORKFLOW["jobs"][job]["steps"]


def _uses(job: str, action: str) -> list[dict]:
    return [s for s in _steps(job) if s.get("uses", "").split("@")[0] == action]


def _recipe(target: str) -> list[str]:
    """The command lines of a Makefile target."""
    block = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert block, f"the Makefile has no target {target}"
    return [line.strip() for line in block.group(1).splitlines()]


def test_pages_url_of_a_repository():
    assert pages_url("https://github.com/alexnet-edu/alexnet-edu") == "https://alexnet-edu.github.io/alexnet-edu/"
    assert pages_url("https://github.com/Me/fork.git") == "https://me.github.io/fork/"


def test_the_workflow_runs_on_a_push_to_the_configured_branch():
    triggers = WORKFLOW.get("on", WORKFLOW.get(True))  # YAML 1.1 reads a bare `on` as true
    assert CONFIG["repository"]["branch"] in triggers["push"]["branches"]
    assert "pull_request" not in triggers  # a pull request must not publish


def test_the_workflow_builds_with_the_makefiles_book_target():
    runs = [s["run"].strip() for s in _steps("build") if "run" in s]
    assert runs == ["make book"]
    book = _recipe("book")
    assert any(line.startswith("$(BIN)/jupyter-book build . ") and "--warningiserror" in line for line in book)
    venv = " ".join(_recipe("$(STAMP)"))
    assert "pip install --quiet -r requirements.txt" in venv and "pip install --quiet --no-deps -e ." in venv
    python = _uses("build", "actions/setup-python")
    assert len(python) == 1 and str(python[0]["with"]["python-version"]) == "3.11"
    if "npm " in MAKEFILE:  # the book target fetches MathJax with npm
        assert _uses("build", "actions/setup-node")
    upload = _uses("build", "actions/upload-pages-artifact")
    assert len(upload) == 1 and upload[0]["with"]["path"] == "_build/html"
    assert _uses("build", "actions/checkout")


def test_the_workflow_deploys_to_github_pages():
    deploy = WORKFLOW["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert _uses("deploy", "actions/deploy-pages")
    assert WORKFLOW["permissions"] == {"contents": "read"}  # nothing else may write


def test_the_readme_links_the_published_book():
    readme = (ROOT / "README.md").read_text()
    url = pages_url(CONFIG["repository"]["url"])
    assert url in readme.split("## Quickstart")[0], "link the published book near the top of the README"
    assert "## Publishing" in readme and "GitHub Actions" in readme.split("## Publishing")[1]
    assert ".github/workflows/book.yml" in readme
