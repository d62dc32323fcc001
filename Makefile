# The two commands that matter are `make demo` and `make test` (see README.md).
.PHONY: demo demo-teardown test setup testbed teardown lint sanity units integration molecule build
SHELL := /bin/bash
ENV := source tests/testbed/env.sh &&

demo:
	bash tests/bin/demo.sh up

demo-teardown:
	bash tests/bin/demo.sh down

test:
	bash tests/bin/run-all.sh

setup:
	bash tests/testbed/bootstrap.sh
	bash tests/testbed/testbed.sh up

testbed: setup

teardown:
	bash tests/testbed/testbed.sh down

lint: setup
	$(ENV) ansible-lint --offline

sanity: setup
	bash tests/bin/sanity.sh

units: setup
	$(ENV) python -m pytest -q tests/unit

integration: setup
	$(ENV) python -m pytest -q tests/integration

molecule: setup
	$(ENV) for s in molecule/*/; do molecule test -s $$(basename $$s) || exit 1; done

build: setup
	$(ENV) ansible-galaxy collection build --force --output-path .build
