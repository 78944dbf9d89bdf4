# Two commands: `make run` (set up, run the default scenario) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= all
OUT ?= results

.PHONY: setup run test bench clean browser

$(VENV)/.installed-$(EXTRAS): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

setup: $(VENV)/.installed-$(EXTRAS)

run: setup
	$(VENV)/bin/mechsim run bandits/default --out $(OUT)

test: setup
	$(PY) -m pytest -q

# Headless Chromium for the HTML report test (tests/core/test_trust_cli.py). Installed from the
# system packages where apt-get can (as root, or with passwordless sudo); otherwise the test is
# skipped with its reason. Never fails the build.
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		echo "chromium: already installed"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
			|| echo "chromium: apt-get could not install it; the HTML report test will be skipped"; \
	elif command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
		(sudo -n apt-get update -qq && sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
			|| echo "chromium: apt-get could not install it; the HTML report test will be skipped"; \
	else \
		echo "chromium: no apt-get with root rights here; the HTML report test will be skipped"; \
	fi

bench: setup
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) results
