# Two commands for everything: `make book` and `make test`.
# Both create (or update, when requirements.txt or pyproject.toml change) a local
# virtual environment in .venv from the pinned requirements.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Chapters read data from here unless the caller says otherwise (see README, "Data").
export ALEXNET_EDU_DATA ?= $(CURDIR)/data

.PHONY: book student test venv data clean mathjax check-book

# MathJax is served by the built site itself, never from a CDN: `make mathjax` fetches this exact
# version of the npm package `mathjax` (with npm, which checks the tarball's integrity) and keeps the
# part that _config.yml's `mathjax_path` loads (es5/tex-chtml.js with the TeX extensions it autoloads,
# its fonts in output/chtml/fonts, the menu and accessibility parts) in $(VENDOR)/mathjax; Sphinx copies
# $(VENDOR) (`html_static_path`) into every book's _static/. Without npm, `make book` stops and says to
# install Node.js/npm: there is no silent fall-back to the CDN.
MATHJAX_VERSION := 3.2.2
VENDOR          := _build/vendor
MATHJAX_STAMP   := $(VENDOR)/mathjax/.version-$(MATHJAX_VERSION)

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v >= (3, 10) else "alexnet-edu needs Python >= 3.10 (3.11 recommended); set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# HTML book in _build/html. Chapters are committed executed and rendered as they are
# (`make test` re-executes every one and compares its outputs); any Sphinx warning fails the build.
book: $(STAMP) $(MATHJAX_STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going

mathjax: $(MATHJAX_STAMP)

$(MATHJAX_STAMP):
	@command -v npm >/dev/null 2>&1 || { echo "error: the book serves MathJax $(MATHJAX_VERSION) itself and fetches it with npm, which is missing. Install Node.js with npm (https://nodejs.org/, or: apt-get install npm), then run make again." >&2; exit 1; }
	rm -rf $(VENDOR)/mathjax $(VENDOR)/mathjax.tmp
	mkdir -p $(VENDOR)/mathjax.tmp
	cd $(VENDOR)/mathjax.tmp && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null
	tar -xzf $(VENDOR)/mathjax.tmp/mathjax-$(MATHJAX_VERSION).tgz -C $(VENDOR)/mathjax.tmp
	mkdir -p $(VENDOR)/mathjax.tmp/keep
	cd $(VENDOR)/mathjax.tmp/package && cp -R LICENSE es5/tex-chtml.js es5/input es5/output es5/ui es5/a11y es5/sre es5/adaptors ../keep/
	mv $(VENDOR)/mathjax.tmp/keep $(VENDOR)/mathjax
	rm -rf $(VENDOR)/mathjax.tmp
	touch $@

# The student edition: the chapters without their solutions, with an answer cell under each exercise,
# written to student/ (committed, so that Colab opens them; tests fail when they are stale) with the
# instructors' page, and built as an HTML book in _build/student/html whose launch buttons open them.
student: $(STAMP) $(MATHJAX_STAMP)
	$(BIN)/python -m alexnet_edu student-edition --book _build/student-src
	$(BIN)/jupyter-book build _build/student-src --path-output _build/student --warningiserror --keep-going

# The browser check of the built books (run it after `make book`, and `make student` for the second):
# every page opened in headless Chromium (the system's /usr/bin/chromium, driven by Playwright; never a
# downloaded browser) from a local server, with requests to other hosts blocked. It fails on TeX errors,
# broken links and images, JavaScript errors, requests to a CDN, empty widget boxes and figure text
# under 12 CSS px, and saves a screenshot per page and report.json in _build/screenshots (the student
# book's in _build/screenshots/student). About 2.5 minutes per book on 2 cores. Then, on the HTML alone,
# tests/test_built_book.py: no chapter shows more code than prose, every "chapter NN" is a link.
check-book: $(STAMP)
	@status=0; \
	$(BIN)/python tests/browser_check.py _build/html --out _build/screenshots || status=1; \
	if [ -f _build/student/_build/html/index.html ]; then \
		$(BIN)/python tests/browser_check.py _build/student/_build/html --out _build/screenshots/student || status=1; \
	fi; \
	ALEXNET_EDU_BUILT_BOOK=_build/html $(BIN)/python -m pytest -q tests/test_built_book.py || status=1; \
	exit $$status

# Imagenette (imagenette2-320.tgz, 342 MB) and CIFAR-10 (cifar-10-python.tar.gz, 170 MB) into the data
# root, unless a complete copy of each is there already (any layout, the offline copies included).
data: $(STAMP)
	$(BIN)/python -m alexnet_edu download imagenette cifar10 --if-missing

# Unit tests; then every chapter as Colab runs it: installed from the package's wheel, copied alone into
# an empty folder, executed in a fresh kernel in quick mode, outputs compared with the committed ones
# (nbval); then the chapters that read data, on copies of it in the official download layouts.
test: $(STAMP) data $(MATHJAX_STAMP)
	ALEXNET_EDU_QUICK=1 MPLBACKEND=Agg $(BIN)/python -m pytest tests alexnet_edu
	ALEXNET_EDU_QUICK=1 MPLBACKEND=Agg $(BIN)/python tests/chapters_as_colab.py --official-layouts

clean:
	rm -rf _build
