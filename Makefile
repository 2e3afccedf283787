# tellsafe: two commands for a newcomer — `make run` and `make test`.
# Needs only Python >= 3.11 and make. Everything else is installed from the lock files.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
VAR    := $(CURDIR)/var
SECRETS := $(VAR)/secrets

# Local settings for `make run` (SQLite, local key files). A real deployment sets its own
# environment instead; see docs/runbook.md.
RUN_ENV := TELLSAFE_DATA_DIR=$(VAR) \
	TELLSAFE_SECRET_KEY_FILE=$(SECRETS)/secret_key \
	TELLSAFE_FIELD_KEYS_FILE=$(SECRETS)/field_keys \
	TELLSAFE_HMAC_KEY_FILE=$(SECRETS)/hmac_key \
	TELLSAFE_TRACE_RECORDED_ANSWERS_FILE=$(VAR)/demo/dns.json \
	TELLSAFE_PHONE_REGION=$${TELLSAFE_PHONE_REGION:-IN}

.PHONY: run test check lint bench messages browser clean simulate

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tellsafe needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	@touch $@

$(VENV)/.run-deps: $(VENV)/.python-ok requirements.lock pyproject.toml
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.dev-deps: $(VENV)/.python-ok requirements-dev.lock pyproject.toml
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps
	$(BIN)/tellsafe init-local $(SECRETS)
	$(RUN_ENV) $(BIN)/tellsafe migrate --noinput -v0
	$(RUN_ENV) $(BIN)/tellsafe collectstatic --noinput -v0
	$(RUN_ENV) $(BIN)/tellsafe demo
	@echo "tellsafe: http://127.0.0.1:8000  (Ctrl-C stops the server and the worker)"
	@$(RUN_ENV) $(BIN)/tellsafe worker --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(BIN)/tellsafe serve

# Chat with the running platform as WhatsApp, SMS, Telegram, email or USSD would:
#   make simulate CHANNEL=whatsapp   (start `make run` first, in another terminal)
CHANNEL ?= whatsapp
simulate: $(VENV)/.run-deps
	$(RUN_ENV) $(BIN)/tellsafe simulate $(CHANNEL)

browser:
	@sh scripts/ensure-chromium

test: $(VENV)/.dev-deps browser
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(VENV)/.dev-deps
	$(BIN)/ruff format --check src bench
	$(BIN)/ruff check src bench
	$(BIN)/mypy

check: lint
	DJANGO_SETTINGS_MODULE=tellsafe.config.settings_test $(BIN)/tellsafe makemigrations --check --dry-run
	$(MAKE) test

bench: $(VENV)/.dev-deps
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Extract strings and compile catalogues (needs GNU gettext; compiled .mo files are committed).
messages: $(VENV)/.dev-deps
	cd src/tellsafe && DJANGO_SETTINGS_MODULE=tellsafe.config.settings_test ../../$(BIN)/tellsafe makemessages -l hi -l ur --no-obsolete --no-location --ignore 'tests/*'
	cd src/tellsafe && DJANGO_SETTINGS_MODULE=tellsafe.config.settings_test ../../$(BIN)/tellsafe compilemessages

clean:
	rm -rf $(VENV) var
