# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve test check install db demo lint format clean wheel-check messages

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[postgres,test]"
	touch $@

install: $(VENV)/.installed

db: install
	$(FLASK) practice upgrade-db

# Seeds only an empty database, so restarting keeps whatever was recorded since.
demo: db
	$(FLASK) practice seed-demo

run: demo
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production: gunicorn (workers from the CPU count, gunicorn.conf.py) on DATABASE_URL; no demo.
serve: db
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py

test: install
	scripts/install-system-deps.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# The edit loop: lint and the unit tests (no database, server or browser), in well under a minute.
check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -m unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache

# The wheel from the sdist, installed with every dependency at its declared floor
# (tests/wheel_floors.txt), serving the main paths; about a minute with a warm pip cache.
wheel-check: install
	$(BIN)/pytest -q -p no:cacheprovider tests/test_wheel.py

# The catalogue template of every marked message (practice/translations/practice.pot), from which
# a translator starts a language: pybabel init -i practice/translations/practice.pot
#   -d practice/translations -D practice -l de
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --project couples-cycle-practice \
		-o practice/translations/practice.pot .
