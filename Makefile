# Tilewise: one-command setup, tests, packaging and running.
# Every target installs what it needs (idempotently) on a fresh Debian 12 or 13.

SHELL := /bin/bash
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# The checkout folder may have any name: tests and the engine import the
# plugin as the package `tilewise` through this link.
PKG_LINK := $(VENV)/src/tilewise
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := qgis python3-qgis qgis-providers python3-gdal gdal-bin python3-venv python3-dev \
	gcc libgeos-dev xvfb xauth imagemagick xdotool sqlite3 zip debootstrap qttools5-dev-tools
PROFILE_DIR := $(ROOT)/.qgis-profile
PROFILE := tilewise
VERSION := $(shell sed -n 's/^version=//p' metadata.txt)
PYTEST := QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest
# QGIS desktop runs Debian's Python: give it the venv's packages (shapely 2; same CPython ABI), whichever
# Python this Debian has.
PYTHON_DIR = $(shell /usr/bin/python3 -c 'import sys; print("python%d.%d" % sys.version_info[:2])')
QGIS_ENV = PYTHONPATH=$(VENV)/lib/$(PYTHON_DIR)/site-packages$${PYTHONPATH:+:$$PYTHONPATH}
# `make run`: the sample project (made once from resources/sample/, then kept with the user's edits), the
# profile's auth DB master password (made once), and the background engine's control script.
SAMPLE_PROJECT := $(ROOT)/data/sample-project/tilewise-sample.qgz
MASTER_PASSWORD_FILE := $(PROFILE_DIR)/master-password
ENGINE_SERVICE := $(PY) $(ROOT)/scripts/engine_service.py
QGIS_ARGS := --profiles-path $(PROFILE_DIR) --profile $(PROFILE) --noversioncheck $(QGIS_EXTRA_ARGS) --project $(SAMPLE_PROJECT)
export PIP_DISABLE_PIP_VERSION_CHECK := 1


.PHONY: setup apt venv clients demo-data engine test test-unit test-engine test-qgis test-e2e test-matrix lint package run demo stop-engine bench clean help translations built

help:
	@echo "make run      open QGIS with Tilewise in the project's own profile"
	@echo "make demo     the batch tutorial headless through core/ on the local engine: demo-output/"
	@echo "make test     install what is missing, then run every test suite headless, then the QGIS matrix"
	@echo "make test-qgis QGIS=3.44  the QGIS and e2e suites on one QGIS of the matrix (3.22, 3.40, 3.44)"
	@echo "make lint     ruff, the Qt6 check and the Python 3.9 check"
	@echo "make package  build dist/tilewise-$(VERSION).zip for Install from ZIP"
	@echo "make translations  i18n/*.ts from the sources' tr() calls, then the .qm files and the help HTML"
	@echo "make bench    run the benchmarks in bench/"
	@echo "make engine   run the local batch engine in the foreground"
	@echo "make stop-engine  stop the background engine that make run started"
	@echo "make demo-data  build the synthetic offline Sentinel-2 catalog"

setup: apt venv clients

# sentinelhub-py clients for the API compatibility tests: 3.9 (v1) and 3.12 (v2)
# cannot share a venv, so each has its own, outside the plugin's.
CLIENT_VENVS := .venv-clients/sh39 .venv-clients/sh312
clients: $(addsuffix /.stamp,$(CLIENT_VENVS))

.venv-clients/sh%/.stamp: tests/clients/requirements-sh%.txt
	/usr/bin/python3 -m venv $(dir $@)
	$(dir $@)bin/pip install -q -r $<
	@touch $@

# Debian packages: only call apt when one is missing, so a second run is instant.
apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.requirements.stamp $(PKG_LINK) built

$(VENV)/bin/python:
	/usr/bin/python3 -m venv --system-site-packages $(VENV)

$(VENV)/.requirements.stamp: requirements.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	@touch $@

$(PKG_LINK): | $(VENV)/bin/python
	@mkdir -p $(VENV)/src
	ln -sfn $(ROOT) $(PKG_LINK)
	$(PY) -c "import site, sys; open(site.getsitepackages()[0] + '/tilewise-src.pth', 'w').write('$(VENV)/src\n')"

# Translations and help, built from their sources (never committed): the .qm files QGIS loads for its language
# (lrelease, Debian's qttools5-dev-tools) and the user guide as HTML (scripts/build_help.py), which the dock's
# Help button and Help → Plugins open. `make translations` first brings i18n/*.ts up to date with the tr()
# calls of the sources (scripts/i18n.py; `make lint` fails while they are stale); translate in Qt Linguist or
# any editor of the .ts, then build again.
TS_FILES := $(wildcard i18n/*.ts)
QM_FILES := $(TS_FILES:.ts=.qm)
HELP_PAGE := help/index.html
built: $(QM_FILES) $(HELP_PAGE)

i18n/%.qm: i18n/%.ts
	lrelease -silent $< -qm $@

$(HELP_PAGE): docs/user-guide.md $(wildcard docs/images/*.png) scripts/build_help.py $(VENV)/.build-requirements.stamp
	$(PY) scripts/build_help.py

$(VENV)/.build-requirements.stamp: requirements-build.txt $(VENV)/.requirements.stamp
	$(PIP) install -q -r requirements-build.txt
	@touch $@

translations: $(VENV)/.requirements.stamp
	$(PY) scripts/i18n.py
	$(MAKE) --no-print-directory built

# Suites without QGIS first, then the ones that start QGIS (headless), then the same QGIS and e2e suites on
# the other QGIS versions of the matrix, each in its Debian chroot (scripts/qgis_matrix.sh; QGIS_MATRIX picks
# versions, QGIS_MATRIX=none skips them and says so). Folders are listed only when present.
test: setup lint
	$(PYTEST) -p no:qgis $(wildcard tests/unit tests/engine)
	$(PYTEST) $(wildcard tests/qgis tests/e2e)
	$(MAKE) --no-print-directory test-matrix

test-unit: setup
	$(PYTEST) -p no:qgis tests/unit
test-engine: setup
	$(PYTEST) -p no:qgis tests/engine
# `make test-qgis` runs the host's QGIS; `make test-qgis QGIS=3.40` that version's chroot (QGIS and e2e suites).
QGIS ?=
test-qgis: setup
	@if [ -z "$(QGIS)" ] || [ "$(QGIS)" = "$$(dpkg-query -W -f='$${Version}' qgis | cut -d. -f1,2)" ]; then \
		echo "$(PYTEST) tests/qgis"; $(PYTEST) tests/qgis; \
	else \
		$(MATRIX_RUN) $(QGIS); \
	fi
test-e2e: setup
	$(PYTEST) tests/e2e
# Chroots need root: through sudo when you are not root, as the Debian packages are.
# The chroots run the tests on the clone's built .qm and help (bound in): they need no lrelease, and leaving it
# out of their list keeps the cached chroots (keyed on it) valid.
CHROOT_APT_PACKAGES := $(filter-out qttools5-dev-tools,$(APT_PACKAGES))
MATRIX_RUN = $(SUDO) env TILEWISE_APT_PACKAGES="$(CHROOT_APT_PACKAGES)" QGIS_MATRIX="$(QGIS_MATRIX)" \
	TILEWISE_CACHE="$(CACHE_DIR)" scripts/qgis_matrix.sh
test-matrix: setup
	$(MATRIX_RUN)

# ruff; what QGIS 4 (Qt6) lacks (scripts/check_qt6.py: against this QGIS, also a test on every QGIS of the
# matrix, and against Qt6's own PyQt6 from a venv cached outside the clone); Python 3.9 (QGIS 3.22 on Windows
# and macOS) for the plugin code.
PLUGIN_CODE := __init__.py plugin.py core ui processing_provider
CACHE_DIR ?= $(or $(TILEWISE_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tilewise)
PYQT6_VENV := $(CACHE_DIR)/pyqt6-venv
PYQT6 := PyQt6==6.11.0
PYQT6_STAMP := $(PYQT6_VENV)/.stamp-$(subst ==,-,$(PYQT6))
lint: setup $(PYQT6_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) scripts/i18n.py --check
	QT_QPA_PLATFORM=offscreen $(PY) scripts/check_qt6.py $(PLUGIN_CODE) scripts tests bench
	$(PYQT6_VENV)/bin/python scripts/check_qt6.py --pyqt6 $(PLUGIN_CODE) scripts tests bench
	$(VENV)/bin/vermin --quiet --no-tips --violations --eval-annotations -t=3.9- $(PLUGIN_CODE)

$(PYQT6_STAMP):
	/usr/bin/python3 -m venv $(PYQT6_VENV)
	$(PYQT6_VENV)/bin/pip install -q $(PYQT6)
	@touch $@

# The zip holds only the plugin: metadata, code, ui, resources, licence, the compiled translations and the
# user guide as HTML.
package: venv
	@rm -rf build/package dist/tilewise-$(VERSION).zip
	@mkdir -p build/package/tilewise/i18n dist
	cp metadata.txt __init__.py plugin.py LICENSE build/package/tilewise/
	cp -r core ui processing_provider resources help build/package/tilewise/
	cp $(QM_FILES) build/package/tilewise/i18n/
	find build/package -name '__pycache__' -prune -exec rm -rf {} +
	cd build/package && zip -q -r ../../dist/tilewise-$(VERSION).zip tilewise
	@echo "dist/tilewise-$(VERSION).zip"

# QGIS with the plugin linked into a dedicated profile (never the user's default), on the sample project,
# connected to the local engine: started in the background on the demo catalog (TILEWISE_* variables pass
# through; log and pid in data/engine/), or reused when one already answers on the port. Quitting QGIS (or
# Ctrl-C) stops the engine this run started, and only that one. The profile's auth DB holds the engine's
# credentials; QGIS_AUTH_PASSWORD_FILE unlocks it without a prompt.
run: setup demo-data
	@set -eu; \
	trap '$(ENGINE_SERVICE) stop --owner $$$$' EXIT; \
	trap 'exit 130' INT; \
	trap 'exit 143' TERM; \
	$(ENGINE_SERVICE) start --wait --owner $$$$ >/dev/null; \
	$(PY) scripts/prepare_profile.py --profiles-dir $(PROFILE_DIR) --profile $(PROFILE) --plugin-dir $(ROOT) \
		--master-password-file $(MASTER_PASSWORD_FILE) --sample-project $(SAMPLE_PROJECT); \
	export QGIS_AUTH_PASSWORD_FILE=$(MASTER_PASSWORD_FILE); \
	if [ -z "$${DISPLAY:-}" ] && [ -z "$${WAYLAND_DISPLAY:-}" ]; then \
		echo "No display: running QGIS under xvfb-run"; \
		$(QGIS_ENV) xvfb-run -a -s "-screen 0 1600x1000x24" qgis $(QGIS_ARGS); \
	else \
		$(QGIS_ENV) qgis $(QGIS_ARGS); \
	fi

# The sentinelhub-py batch tutorial headless, through the plugin's core/ (scripts/demo.py): previews, the NDVI
# batch job (v2, folder delivery) created, analysed, started and watched on the local engine (started on the
# demo catalog and stopped afterwards, or reused when one answers on the port), its outputs and NDVI mosaic, a
# map rendered by QGIS and summary.txt, all in DEMO_OUT. Exits non-zero when any step fails.
DEMO_OUT ?= $(ROOT)/demo-output
demo: setup demo-data
	QT_QPA_PLATFORM=offscreen $(PY) scripts/demo.py --out $(DEMO_OUT)

# The background engine of `make run` (scripts/engine_service.py; an engine it did not start is left alone).
stop-engine:
	@$(ENGINE_SERVICE) stop

# The synthetic offline Sentinel-2 catalog (docs/data.md); skipped when already complete.
DEMO_CATALOG := $(ROOT)/data/demo-catalog
demo-data: setup
	$(PY) -m tilewise.engine.data.demo --out $(DEMO_CATALOG)

# The local batch engine in the foreground (configuration: TILEWISE_* variables, docs/engine.md).
engine: setup demo-data
	$(PY) -m tilewise.engine

bench: setup demo-data
	@for b in bench/bench_*.py; do echo "== $$b"; QT_QPA_PLATFORM=offscreen $(PY) $$b || exit 1; done

clean:
	rm -rf build dist .pytest_cache .ruff_cache

# The screenshots of docs/user-guide.md: `make run` with scripts/user_guide_shots.py, which drives the dock
# and writes docs/images/NN-name.png (and shots.log). It runs under its own Xvfb on a free display (stopped
# afterwards), or on SHOTS_DISPLAY (e.g. SHOTS_DISPLAY=:99 after `Xvfb :99 -screen 0 1280x800x24 &`).
# 1280 × 800: the QGIS window users run, maximised by the script.
# Never on your desktop's DISPLAY: the script captures the whole screen.
SHOTS_DISPLAY ?=
SHOTS_TIMEOUT := 1200
SHOTS_RUN := timeout $(SHOTS_TIMEOUT) $(MAKE) --no-print-directory run \
	QGIS_EXTRA_ARGS="--code $(ROOT)/scripts/user_guide_shots.py"
.PHONY: user-guide-shots
user-guide-shots: setup demo-data
	@set -u; \
	if [ -n "$(SHOTS_DISPLAY)" ]; then \
		DISPLAY=$(SHOTS_DISPLAY) $(SHOTS_RUN); \
	else \
		xvfb-run -a -s "-screen 0 1280x800x24" $(SHOTS_RUN); \
	fi; \
	status=$$?; \
	tail -n 1 "$${TILEWISE_SHOTS_DIR:-docs/images}/shots.log" 2>/dev/null; \
	exit $$status
