# Two commands for everything: `make book` and `make test`.
# Both create (or update, when requirements.txt or pyproject.toml change) a local
# virtual environment in .venv from the pinned requirements.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Chapters read data from here unless the caller says otherwise (see README, "Data").
export ALEXNET_EDU_DATA ?= $(CURDIR)/data

.PHONY: book student test venv data clean

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
book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going

# The student edition: the chapters without their solutions, with an answer cell under each exercise,
# written to student/ (committed, so that Colab opens them; tests fail when they are stale) with the
# instructors' page, and built as an HTML book in _build/student/html whose launch buttons open them.
student: $(STAMP)
	$(BIN)/python -m alexnet_edu student-edition --book _build/student-src
	$(BIN)/jupyter-book build _build/student-src --path-output _build/student --warningiserror --keep-going

# Imagenette (imagenette2-320.tgz, 342 MB) and CIFAR-10 (cifar-10-python.tar.gz, 170 MB) into the data
# root, unless a complete copy of each is there already (any layout, the offline copies included).
data: $(STAMP)
	$(BIN)/python -m alexnet_edu download imagenette cifar10 --if-missing

# Unit tests; then every chapter as Colab runs it: installed from the package's wheel, copied alone into
# an empty folder, executed in a fresh kernel in quick mode, outputs compared with the committed ones
# (nbval); then the chapters that read data, on copies of it in the official download layouts.
test: $(STAMP) data
	ALEXNET_EDU_QUICK=1 MPLBACKEND=Agg $(BIN)/python -m pytest tests alexnet_edu
	ALEXNET_EDU_QUICK=1 MPLBACKEND=Agg $(BIN)/python tests/chapters_as_colab.py --official-layouts

clean:
	rm -rf _build
