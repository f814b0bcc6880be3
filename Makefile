# digestbot: `make run` starts the bot, `make test` runs every check. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOG    := $(VENV)/install.log

.PHONY: run test test-slow bench clean

# First use: one line saying what is happening, pip's output in $(LOG) (shown only on failure).
$(STAMP): pyproject.toml
	@if [ -f $(STAMP) ]; then \
	  echo "digestbot: pyproject.toml changed, updating .venv..."; \
	else \
	  echo "digestbot: first run, installing into .venv (about a minute)..."; \
	fi
	@mkdir -p $(VENV)
	@{ $(PYTHON) -m venv $(VENV) \
	  && $(BIN)/pip install --upgrade pip \
	  && $(BIN)/pip install -e '.[dev,bench]'; } > $(LOG) 2>&1 \
	  || { tail -n 40 $(LOG); \
	       echo "digestbot: installing into .venv failed (above: the end of $(LOG))"; exit 1; }
	@touch $(STAMP)
	@echo "digestbot: installed (pip's output: $(LOG))"

run: $(STAMP)
	@$(BIN)/digestbot run

test: $(STAMP)
	$(BIN)/ruff check bot summariser tests bench
	$(BIN)/ruff format --check bot summariser tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow

bench: $(STAMP)
	$(BIN)/python bench/summarise.py
	$(BIN)/python bench/quality.py
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
