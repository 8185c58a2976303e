# Thin wrappers over Python commands; on a machine without make, type the
# commands shown in README.md instead.
#   make lab     set up .venv if missing, start JupyterLab on notebooks/
#   make test    set up .venv if missing, run unit tests and nbval over every notebook (the
#                unit tests build the web edition and check it in headless Chromium), then
#                every lesson once more at a seed derived from the commit
#   make site    build the web edition into build/site/ from the stored notebooks (no execution),
#                with the course archive (course.zip) a reader downloads from it
#   make rerun   re-execute notebooks in place (NB=00 for one), print time and memory; only at
#                seed 0, quick scale (OUT=DIR saves a run at another scale there instead)
#   make seeds   run notebooks with COURSE_SEED 0-49 without writing (NB=01, SEEDS=0-9,
#                REPORT=seeds.json), print a table of passes and failures
#   make bench   every lesson at quick and full scale: time and peak memory (NB=02 for one)
#   make format  normalise notebook JSON, turn nbval markers into tags, ruff-format code cells

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SITE_STAMP := $(VENV)/.installed-site
NB     ?=
OUT    ?=
SEEDS  ?= 0-49
REPORT ?=

NBVAL_FLAGS := --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
               --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: lab test unit nbval rerun seeds seeds-given bench time format venv site clean

venv: $(STAMP)

# Created when missing (or when the pins change); the stamp marks a complete install.
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3.x (3.11-3.13)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test]"
	@touch $(STAMP)

# The web edition's builder and browser driver (Sphinx, myst-nb, the theme, MathJax, Playwright;
# about 250 MB) go into the same .venv, but only for `make site` and `make test`: `make lab`
# does not install them.
$(SITE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test,site]"
	@touch $(SITE_STAMP)

# JupyterLab refuses to start as root (containers, Binder-like images) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

# The course's JupyterLab defaults (jupyterlab-settings/overrides.json: no "Jupyter news" question,
# no update check) apply as the application settings of this JupyterLab only; a learner's own
# settings (~/.jupyter) still win. The server makes no update check either.
LAB_SETTINGS := $(CURDIR)/jupyterlab-settings

lab: venv
	$(BIN)/python -m jupyter lab notebooks/ $(ROOT_FLAG) \
		--LabApp.app_settings_dir="$(LAB_SETTINGS)" \
		--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

# nbval compares the stored outputs (seed 0); then every lesson runs at a seed nobody tuned for.
test: $(SITE_STAMP)
	$(BIN)/python -m pytest tests notebooks $(NBVAL_FLAGS)
	$(BIN)/python tools/rerun.py --seeds commit

unit: $(SITE_STAMP)
	$(BIN)/python -m pytest tests

site: $(SITE_STAMP)
	$(BIN)/python tools/build_site.py

nbval: venv
	$(BIN)/python -m pytest notebooks $(NBVAL_FLAGS)

# NB is lesson numbers or paths; one path with spaces in it (NB="my lessons/02_x.ipynb")
# stays one argument.
NB_ARGS = $(if $(and $(findstring .ipynb,$(NB)),$(filter-out %.ipynb,$(NB))),"$(NB)",$(NB))

# Writes lessons back only at seed 0, quick scale; OUT=DIR keeps them and saves the run there.
rerun: venv
	$(BIN)/python tools/rerun.py $(if $(OUT),--out-dir "$(OUT)") $(NB_ARGS)

# `make seeds SEEDS=` (empty) must not become `--seeds $(NB)`: refuse before installing anything.
seeds-given:
	@test -n "$(strip $(SEEDS))" || { echo "make seeds: SEEDS is empty; give seeds such as SEEDS=0-49, SEEDS=3 or SEEDS=1,4,7" >&2; exit 2; }

seeds: seeds-given venv
	$(BIN)/python tools/rerun.py --seeds "$(SEEDS)" $(if $(REPORT),--report "$(REPORT)") $(NB_ARGS)

bench: venv
	$(BIN)/python tools/bench.py $(NB_ARGS)

time: venv
	$(BIN)/python tools/reading_time.py --check-readme

format: venv
	$(BIN)/python tools/nbformat_course.py notebooks/[0-9][0-9]_*.ipynb

clean:
	rm -rf $(VENV)
