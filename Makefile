# Twofold: `make run` serves the demo, `make test` runs every test. Both set up what they need.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000
# People open localhost rather than the bare address: security keys refuse an IP address.
URL ?= http://localhost:$(PORT)

.PHONY: run test lint format bench clean messages

$(STAMP): pyproject.toml authenticator/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e . -e ./authenticator
	@touch $@

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

# Local demo over plain HTTP on the loopback address, hence cookies without the Secure flag.
run: $(STAMP)
	$(VENV)/bin/twofold migrate --no-input
	$(VENV)/bin/twofold demo --url $(URL)/
	TWOFOLD_COOKIE_SECURE=false TWOFOLD_PUBLIC_URL=$(URL) TWOFOLD_WEBAUTHN_ORIGINS=$(URL) \
	  $(VENV)/bin/twofold serve --host $(HOST) --port $(PORT)

test: $(TEST_STAMP)
	@scripts/ensure-test-tools
	scripts/run-tests

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy twofold authenticator/twofold_authenticator
	$(VENV)/bin/bandit -q -c pyproject.toml -r twofold authenticator/twofold_authenticator
	scripts/audit-dependencies

format: $(TEST_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: $(STAMP)
	cd twofold && ../$(VENV)/bin/twofold makemessages -l nl --no-obsolete
	cd twofold && ../$(VENV)/bin/twofold compilemessages

bench: $(STAMP)
	$(PY) bench/signin.py
	$(PY) bench/totp.py
	$(PY) bench/push.py

clean:
	rm -rf $(VENV) data
