# Two commands for everything: `make book` and `make test`.
# Both create (or update, when requirements.txt or pyproject.toml change) a local
# virtual environment in .venv from the pinned requirements.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Chapters read data from here unless the caller says otherwise (see README, "Data").
export ALEXNET_EDU_DATA ?= $(CURDIR)/data

.PHONY: book test venv clean

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

# Unit tests, then every chapter re-executed in a fresh kernel in quick mode and compared with its
# committed outputs (nbval).
test: $(STAMP)
	ALEXNET_EDU_QUICK=1 MPLBACKEND=Agg $(BIN)/python -m pytest tests alexnet_edu
	ALEXNET_EDU_QUICK=1 MPLBACKEND=Agg $(BIN)/python -m pytest --nbval --nbval-current-env --nbval-cell-timeout=300 \
		--nbval-sanitize-with book/nbval_sanitize.cfg -p no:cacheprovider book

clean:
	rm -rf _build
