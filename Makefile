# The two commands of the README are `make run` and `make test`; the rest are their helpers.
# DATABASE_URL pointed at an existing PostGIS skips the project-local cluster.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export QUARTIER_PG_PORT ?= 54329
LOCAL_DB := $(if $(DATABASE_URL),,db)

.PHONY: run test bench loadtest fuzz db db-stop system-deps browser venv web schema lint clean

run: venv web $(LOCAL_DB)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	$(VENV)/bin/uvicorn geoschema.asgi:application --host 127.0.0.1 --port $${PORT:-8000} --workers $${WEB_CONCURRENCY:-2} --lifespan off

test: venv web browser $(LOCAL_DB)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: venv $(LOCAL_DB)
	$(PY) scripts/bench.py $(BENCH_ARGS)

loadtest: venv $(LOCAL_DB)
	$(PY) scripts/loadtest.py $(LOAD_ARGS)

# A longer fuzzing campaign than `make test` runs: schemathesis over every field, hypothesis on geometry.
FUZZ_EXAMPLES ?= 300
fuzz: venv $(LOCAL_DB)
	QUARTIER_SCHEMA_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) QUARTIER_FUZZ_EXAMPLES=$$(( $(FUZZ_EXAMPLES) * 10 )) \
		$(VENV)/bin/pytest -s tests/api/test_schema_fuzz.py tests/api/test_hostile_input.py

system-deps:
	@bash scripts/system-deps.sh

# Chromium, for the browser tests of the demo map.
browser:
	@bash scripts/system-deps.sh --browser

db: system-deps
	@bash scripts/localdb.sh start

db-stop:
	@bash scripts/localdb.sh stop

venv: system-deps $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# The demo map's browser libraries (Leaflet), from the npm registry, as locked in web/package-lock.json.
web: system-deps web/node_modules/.installed

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

schema: venv
	$(PY) manage.py export_schema geoschema.schema --path schema.graphql

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean: db-stop
	rm -rf .local $(VENV) web/node_modules
