# The commands users type. `make demo` and `make test` work on a fresh clone.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# make validate INVENTORY=inventories/prod [VAULT_ID=prod@FILE] checks another inventory
INVENTORY ?= inventories/sandbox
VAULT_ID ?=
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export NO_PROXY := 127.0.0.1,localhost
export no_proxy := 127.0.0.1,localhost

.PHONY: demo test test-long venv-dev lint sanity unit integration molecule sandbox sandbox-stop sandbox-reset bench validate venv system-packages clean reliability screenshot

# Three pinned sets: requirements.txt is what a run needs (real use, the execution environment);
# requirements-sandbox.txt adds moto's server, which plays Route 53 in the sandbox (make demo);
# requirements-dev.txt adds the test and lint toolchain (make test, lint, bench).
$(VENV)/.installed: requirements.txt
	@test -x $(PY) || { echo "== creating $(VENV) with $$(scripts/find-python)"; "$$(scripts/find-python)" -m venv $(VENV); }
	@echo "== installing the runtime packages (requirements.txt) into $(VENV)"
	$(PY) -m pip install --progress-bar off --upgrade pip
	$(PY) -m pip install --progress-bar off -r requirements.txt
	@touch $@

$(VENV)/.installed-sandbox: $(VENV)/.installed requirements-sandbox.txt
	@echo "== installing the sandbox's Route 53 (requirements-sandbox.txt) into $(VENV)"
	$(PY) -m pip install --progress-bar off -r requirements-sandbox.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-sandbox requirements-dev.txt
	@echo "== installing the test and lint toolchain (requirements-dev.txt) into $(VENV)"
	$(PY) -m pip install --progress-bar off -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

venv-dev: $(VENV)/.installed-dev

system-packages:
	@scripts/ensure-system-packages

demo: $(VENV)/.installed-sandbox
	$(PY) -m sandbox start
	ansible-playbook onboard.yml
	ansible-playbook onboard.yml -i inventories/sandbox-route53
	ansible-playbook onboard.yml -i inventories/sandbox-cloudflare
	@echo "Reports: $(CURDIR)/inventories/sandbox/reports/index.md (Route 53 tenant: inventories/sandbox-route53/reports/, Cloudflare tenant: inventories/sandbox-cloudflare/reports/), the fleet page: $(CURDIR)/inventories/sandbox/reports/index.html"

sandbox: $(VENV)/.installed-sandbox
	$(PY) -m sandbox start

sandbox-stop: venv
	$(PY) -m sandbox stop

sandbox-reset: venv
	$(PY) -m sandbox reset
	cd inventories/sandbox && rm -rf credentials rebind-audit.jsonl reports plans backups
	cd inventories/sandbox-route53 && rm -rf credentials rebind-audit.jsonl reports plans backups
	cd inventories/sandbox-cloudflare && rm -rf credentials rebind-audit.jsonl reports plans backups

# awx.awx for the AWX configuration playbook's lint (awx/configure.yml): out of a pinned wheel
# from the package index, into ./collections (scripts/install_awx_collection.py)
AWX_COLLECTION := collections/ansible_collections/awx/awx/MANIFEST.json
$(AWX_COLLECTION): | $(VENV)/.installed-dev
	$(PY) -m scripts.install_awx_collection

lint: venv-dev $(AWX_COLLECTION)
	ruff check .
	ansible-lint

# make validate INVENTORY=inventories/prod VAULT_ID=prod@/secure/prod.pass (ids space-separated)
validate: venv
	$(PY) -m scripts.validate_inventory $(foreach id,$(VAULT_ID),--vault-id $(id)) $(INVENTORY)

# ansible-test sanity (validate-modules: module docs against argument specs, and the other
# tests that apply) on a collection view of the plugins, offline (scripts/sanity.py)
sanity: venv-dev
	$(PY) -m scripts.sanity

# The test tiers: tests/unit runs in-process (its conftest refuses to start a program);
# tests/sandbox the emulators, tests/cli the commands (ansible-doc, ansible-vault, the validator,
# git) and tests/integration the playbooks and real servers all start processes.
unit: venv-dev
	pytest -q -n 2 tests/unit

integration: venv-dev system-packages
	pytest -q -n 2 tests/sandbox tests/cli tests/integration

molecule: venv-dev
	molecule test

# The long series: end-to-end runs of the demo tenants at the SaaS DNS providers' emulators,
# the provider corpus on Route 53 and Cloudflare, the notification runs and the key-store
# playbook runs. make test-long runs them; make test (what CI runs) leaves them out to stay
# within about ten minutes on 2 cores.
LONG_TESTS := tests/integration/test_sandbox_cloudflare.py tests/integration/test_sandbox_route53.py \
  tests/integration/test_notifications.py tests/integration/test_key_store_vault_runs.py
LONG_CORPUS := corpus_on_route53 or corpus_on_cloudflare
# waits out a real 120 s grace period (retirement itself stays in make test: test_rebind_crash)
LONG_SINGLE := tests/integration/test_rebind.py::test_the_old_domain_is_served_through_its_grace_period_then_retired

test: venv-dev system-packages lint sanity
	pytest -q -n 2 --durations=25 tests $(addprefix --ignore=,$(LONG_TESTS)) --deselect $(LONG_SINGLE) \
	  -k "not ($(LONG_CORPUS))"
	molecule test

test-long: venv-dev system-packages
	pytest -q -n 2 --durations=25 $(LONG_TESTS) $(LONG_SINGLE)
	pytest -q -n 2 tests/integration/test_zone_corpus.py -k "$(LONG_CORPUS)"

reliability: venv-dev
	rm -rf reports/reliability
	MAILOPS_RELIABILITY_SEEDS=20 MAILOPS_RELIABILITY_LONG=1 MAILOPS_RELIABILITY_OUT=$(CURDIR)/reports/reliability \
	  pytest -q -n 2 tests/integration/test_reliability.py tests/integration/test_crash.py \
	  tests/integration/test_concurrency.py tests/integration/test_rebind_crash.py; status=$$?; \
	  $(PY) -m tests.helpers.reliability reports/reliability docs/reliability.md; exit $$status

# docs/fleet-page.png, the README's picture of the fleet page: the browser test's screenshot
# (real runs on a test sandbox: a failed tenant, a pending rebind, an audit)
screenshot: venv-dev system-packages
	MAILOPS_TEST_ARTIFACTS=$(CURDIR)/test-artifacts pytest -q tests/integration/test_fleet_page.py -k render_as_such
	cp test-artifacts/fleet-page.png docs/fleet-page.png

bench: venv-dev system-packages
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .sandbox inventories/sandbox/reports inventories/sandbox/plans inventories/sandbox-route53/reports inventories/sandbox-route53/plans inventories/sandbox-cloudflare/reports inventories/sandbox-cloudflare/plans
