# hotline-kg: raw report text → facts → graph → validated → served.
# Every target creates/uses the virtual environment in .venv and installs what it needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)


.PHONY: install facts build validate serve site test check bench bench-large bench-pages bench-site bench-federation soak fuzz conformance real-texts lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## facts: extract every report data/raw/sources.csv lists into data/facts/<year>.csv
facts: install
	$(BIN)/hotline-kg extract data/raw --out-dir data/facts

## build: facts + code lists + ontology -> dist/ (graphs, dumps, VoID/DCAT, SHA256SUMS),
## validated against shapes/ before anything is written
build: facts
	$(BIN)/hotline-kg build

## validate: check dist/ against shapes/ again, rewrite dist/validation-report.ttl
validate: install
	$(BIN)/hotline-kg validate

## serve: install, extract, build and validate, then serve on http://127.0.0.1:8000
serve: build
	$(BIN)/hotline-kg serve --host 127.0.0.1 --port 8000

## site: the whole site as static files in dist/site/ (SPARQL and search in the browser), for hosts that
## run no program; Oxigraph's WebAssembly comes from the npm package pinned in web/package-lock.json
web/node_modules/.package-lock.json: web/package-lock.json
	npm ci --prefix web --no-audit --no-fund
	touch $@

site: build web/node_modules/.package-lock.json
	$(BIN)/hotline-kg site

## the JavaScript SPARQL clients that tests/test_server_js.py runs under Node.js (versions pinned by the lock file)
tests/js/node_modules/.package-lock.json: tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund
	touch $@

## test: lint, then the whole pytest suite on every core (pytest-xdist; a module's tests stay together),
## then the replica test alone: it kills a replica under load, and the other tests' load would distort it
test: install tests/js/node_modules/.package-lock.json web/node_modules/.package-lock.json
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/pytest -n auto --dist loadfile --ignore=tests/test_replicas.py
	$(BIN)/pytest tests/test_replicas.py

## check: the quick loop while editing: lint, and the tests not marked slow, engine, browser or fuzz
check: install
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -n auto --dist loadfile -m "not slow and not engine and not browser and not fuzz"

## bench: this endpoint against the Oxigraph server and rdflib-endpoint, same dumps, same run;
## results in bench/results/ (the peers live in .venv-bench, apart from the project's packages)
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed:
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check oxigraph rdflib-endpoint uvicorn
	touch $@

bench: build $(BENCH_VENV)/.installed
	$(BIN)/python bench/generate.py dist/hotline.nt.gz 100000 -o $(BENCH_VENV)/synthetic-100k.nt.gz
	$(BIN)/python bench/run.py dist/hotline.nt.gz --label real
	$(BIN)/python bench/run.py $(BENCH_VENV)/synthetic-100k.nt.gz --label synthetic-100k --requests 5 --seconds 30 --timeout 30 --budget 120

## bench-large: a 1M-observation synthetic cube served by hotline-kg alone (ready time, memory, latency);
## results in bench/results/synthetic-1m.md
bench-large: build $(BENCH_VENV)/.installed
	$(BIN)/python bench/generate.py dist/hotline.nt.gz 1000000 -o $(BENCH_VENV)/synthetic-1m.nt.gz
	$(BIN)/python bench/large.py $(BENCH_VENV)/synthetic-1m.nt.gz --label synthetic-1m --store-dir $(BENCH_VENV)/stores

## bench-pages: each kind of page at the real size, 100k and 1M observations (p50/p95, weight, cold
## and warm; ready time, peak memory; the cubes started twice over a --store-dir: the first start
## loads it); results in bench/results/pages.md (LABEL names the run)
LABEL ?= after
## bench-site: the static site's size, page weights, SPARQL and search in the browser, nginx vs
## hotline-kg serve at 8 clients, and the in-browser store at 10k-100k more observations (site.md)
bench-site: build web/node_modules/.package-lock.json tests/js/node_modules/.package-lock.json
	$(BIN)/python bench/site.py

## bench-federation: SERVICE as the wrapper evaluates it (VALUES) against the Oxigraph server's own call,
## same run, same local endpoint (bench/results/federation.md)
bench-federation: build
	$(BIN)/python bench/federation.py

bench-pages: build
	$(BIN)/python bench/pages.py --label $(LABEL) --store-dir

## soak: 10 minutes at 8 clients against dist/ (light and heavy queries, the heavy ones stopped at a
## 2 s limit; pages, search, dumps): PSS of the process tree, processes, errors and p99 latency must
## hold steady; results in bench/results/soak.md and .json (exit 1 if a criterion fails)
soak: build
	$(BIN)/python bench/soak.py --seconds 600 --clients 8 --label soak

## fuzz: 100 000 fuzzed requests against a real server (SPARQL from the grammar, nearly valid
## queries, odd protocol requests: never a 5xx or a hang), then thousands of mutated report texts
## through extract and mutated tables through build, then 20 000 queries through the wrapper over the
## embedded store, the Oxigraph server and Virtuoso, their answers compared; results in
## bench/results/fuzz.md, fuzz-pipeline.md and differential.md
fuzz: build
	$(BIN)/python bench/fuzz.py --requests 100000 --clients 4
	$(BIN)/python bench/fuzz_pipeline.py --examples 3000 --build-examples 300
	$(BIN)/python bench/differential.py --queries 20000

## conformance: the W3C SPARQL 1.0 and 1.1 query test suites (../shared/w3c/rdf-tests-sparql) through
## `hotline-kg serve` over each engine (embedded in memory and on disk, the Oxigraph server, Virtuoso), and
## to each remote engine alone; results in bench/results/conformance.md and .json (exit 1 if the wrapper
## fails a test its engine passes alone)
conformance: install
	$(BIN)/python bench/conformance.py

## real-texts: the extractor on the real published texts of tests/fixtures/real against their hand-written
## keys, the tuned texts and each held-back set apart; results in bench/results/real-texts-after.md
real-texts: install
	$(BIN)/python bench/real_texts.py --heldback --label "after (this checkout's code); the tuned texts, then each held-back set apart" -o bench/results/real-texts-after.md

lint: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .ruff_cache
