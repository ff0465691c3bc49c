# convo — one command to run, one to test. `make help` lists them all.
SHELL := /bin/bash
# uv manages the locked environment; scripts/bootstrap-uv finds it, or installs it into
# .venv-bootstrap/ (works on a distribution Python that refuses `pip install`, PEP 668).
PY := .venv/bin/python
export UV_PYTHON ?= 3.11

.PHONY: help install run test lint format eval studio bench bench-readme faults faults-quick clean

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.venv/.installed: pyproject.toml uv.lock
	@UV="$$(scripts/bootstrap-uv)" && set -x && $$UV sync --frozen --compile-bytecode
	@$(PY) -m compileall -q -j 0 server graph nodes prompts evals >/dev/null || true
	@touch $@

install: .venv/.installed ## install the locked dependencies into .venv (uv)

run: install ## start the service: embedded Redis + SQLite, no keys needed, orchestration on
	ENABLE_ORCHESTRATION=$${ENABLE_ORCHESTRATION:-true} .venv/bin/convo serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

test: install ## run the whole test suite (embedded Redis; PostgreSQL too when TEST_DATABASE_URL is set)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install ## ruff (lint + format check) and mypy
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

format: install ## apply ruff's fixes and formatting
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

# Thresholds for the offline router, a few points under the numbers measured on the family
# split when they were set (routing: accuracy 94.9%, on unfamiliar rows 94.4%, recall info
# 95.3% / commerce 93.7% / support 95.6%). Conversations: the gates apply to the frozen test
# set (98.4% of turns right, needless lane switches 2.2% = 2 of 93 follow-up turns when set,
# 5.4% before social replies stayed in the holding lane); the goal is >= 93% and <= 2%: the
# switch rate is just above it, so its gate (0.03) stops a regression, it does not prove the goal.
# Entities (`convo eval entities`): F1 over all kinds on the frozen entities_test.jsonl was
# 98.6% (en 98.0 / es 98.9 / pt 98.9) when set; the gates sit a few points under it.
# The dev set is reported, not gated. Below a gate `make eval` fails (exit 1).
EVAL_MIN_ACCURACY ?= 0.92
EVAL_MIN_UNFAMILIAR_ACCURACY ?= 0.91
EVAL_MIN_RECALL ?= --min-lane-recall info=0.92 --min-lane-recall commerce=0.90 --min-lane-recall support=0.92
EVAL_MIN_TURN_ACCURACY ?= 0.93
EVAL_MAX_NEEDLESS_SWITCH_RATE ?= 0.03
EVAL_MIN_ENTITY_F1 ?= 0.95
EVAL_MIN_ENTITY_LANGUAGE_F1 ?= 0.93

eval: install ## score the offline router: test split (+ unfamiliar rows), conversations dev + frozen test, entities dev + frozen test; reports/eval-*.{html,json}; fails under the thresholds
	@mkdir -p reports
	.venv/bin/convo eval routing --router offline --dataset evals/datasets/routing_test.jsonl \
		--report-json reports/eval-routing.json --report-html reports/eval-routing.html \
		--min-accuracy $(EVAL_MIN_ACCURACY) $(EVAL_MIN_RECALL) \
		--min-unfamiliar-accuracy $(EVAL_MIN_UNFAMILIAR_ACCURACY)
	.venv/bin/convo eval conversations --router offline \
		--report-json reports/eval-conversations.json --report-html reports/eval-conversations.html \
		--min-accuracy $(EVAL_MIN_TURN_ACCURACY) --max-needless-switch-rate $(EVAL_MAX_NEEDLESS_SWITCH_RATE)
	.venv/bin/convo eval entities \
		--report-json reports/eval-entities.json --report-html reports/eval-entities.html \
		--min-f1 $(EVAL_MIN_ENTITY_F1) --min-language-f1 $(EVAL_MIN_ENTITY_LANGUAGE_F1)

studio: install ## LangGraph Studio: `langgraph dev` on a free port (STUDIO_PORT), offline, Redis-backed sessions
	@PORT=$${STUDIO_PORT:-$$($(PY) -c "from server.embedded_redis import free_port; print(free_port())")}; \
	echo "LangGraph API on http://127.0.0.1:$$PORT  (Studio: https://smith.langchain.com/studio/?baseUrl=http://127.0.0.1:$$PORT)"; \
	LANGGRAPH_CLI_NO_ANALYTICS=1 LANGGRAPH_NO_VERSION_CHECK=true \
	.venv/bin/langgraph dev --port $$PORT --no-browser

BENCH_REPEAT ?= 3
BENCH_JSON := reports/bench-json
BENCH_DETAILS := reports/bench-details.md
# Each benchmark prints its own table (collected in $(BENCH_DETAILS)) and writes its results
# as JSON; benchmarks/summary.py turns them into the one table of targets (reports/bench.md,
# then copied into the README's bench block). A benchmark that fails is reported as "not
# measured" and makes the run fail, leaving the README as it was (stderr: reports/bench-stderr.log).
bench: install ## benchmarks against baselines in the same run (BENCH_REPEAT=3): reports/bench.md, the README's bench block
	@mkdir -p reports && rm -rf $(BENCH_JSON) && mkdir -p $(BENCH_JSON) && : > $(BENCH_DETAILS) && : > reports/bench-stderr.log
	@set -o pipefail; failed=0; \
	run() { title="$$1"; shift; echo "### $$title" >> $(BENCH_DETAILS); echo >> $(BENCH_DETAILS); \
		echo "+ $$*"; "$$@" 2>> reports/bench-stderr.log | tee -a $(BENCH_DETAILS) || { failed=1; echo "FAILED: $$*" | tee -a $(BENCH_DETAILS); }; \
		echo >> $(BENCH_DETAILS); }; \
	run "Webhook throughput (production shape)" $(PY) -m benchmarks.webhook_throughput --repeat $(BENCH_REPEAT) --json $(BENCH_JSON)/webhook_throughput.json; \
	run "Start-up" $(PY) -m benchmarks.startup --repeat $(BENCH_REPEAT) --json $(BENCH_JSON)/startup.json; \
	run "Redis per turn and session bytes" $(PY) -m benchmarks.state_cost --turns 100 --json $(BENCH_JSON)/state_cost.json; \
	run "Turn CPU" $(PY) -m benchmarks.turn_cpu --turns 100 --repeat $(BENCH_REPEAT) --json $(BENCH_JSON)/turn_cpu.json; \
	run "One worker, LLM answering in 0.5 s" $(PY) -m benchmarks.worker_llm --customers 120 --max-jobs 10 32 --json $(BENCH_JSON)/worker_llm.json; \
	run "Offline understanding per message" $(PY) -m benchmarks.understanding --rounds $(BENCH_REPEAT) --json $(BENCH_JSON)/understanding.json; \
	run "Webhook latency in-process" $(PY) -m benchmarks.webhook_latency --requests 300; \
	run "Send rate limiter across processes" $(PY) -m benchmarks.send_limiter --seconds 8 --processes 2; \
	run "Workers: 1, 2, 4 processes on one Redis and on two session shards" $(PY) -m benchmarks.workers --customers $${BENCH_CUSTOMERS:-100}; \
	$(PY) -m benchmarks.summary --results $(BENCH_JSON) --details $(BENCH_DETAILS) --repeat $(BENCH_REPEAT) --out reports/bench.md --readme README.md && exit $$failed

bench-readme: install ## copy the table of reports/bench.md (the last make bench) into the README's bench block
	$(PY) -m benchmarks.summary --from reports/bench.md --readme README.md

faults: install ## fault injection on the real processes (Redis restarts and outages, kill -9, poison, LLM and Graph API faults, a refusing/hanging store; PostgreSQL rows need TEST_DATABASE_URL); table in reports/faults.md, exit 1 on a lost or duplicated message (what CI runs)
	@mkdir -p reports
	@set -o pipefail; $(PY) -m benchmarks.faults $(FAULTS_ARGS) | tee reports/faults.md

faults-quick: install ## the fault scenarios that settle in seconds
	@mkdir -p reports
	@set -o pipefail; $(PY) -m benchmarks.faults --quick | tee reports/faults-quick.md

clean: ## remove the virtualenv and local data
	rm -rf .venv .venv-bootstrap .data .pytest_cache .mypy_cache .ruff_cache
