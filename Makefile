# The README names these targets. Everything runs from .venv/, created on first use.
VENV := .venv
PY := $(VENV)/bin/python
# Python 3.12+ from PATH (pyenv shims honour .python-version).
BOOT_PY := $(shell for p in python3.12 python3.13 python3.14 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: run test lint format worker web migrate messages translations clean bench-review bench-autodetect bench-worker bench-web bench-e2e bench-detect-page bench-watchers bench-fleet bench-health-cycle bench-import bench

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(BOOT_PY)" || { echo "Python 3.12 or newer is required (python3.12 or python3 on PATH)."; exit 1; }
	test -x $(PY) || $(BOOT_PY) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

migrate: translations
	$(PY) manage.py migrate --noinput

# The compiled catalogues (locale/*/LC_MESSAGES/*.mo) are built, never committed:
# compilemessages needs gettext's msgfmt (apt-get install gettext; brew install gettext).
translations: $(VENV)/.installed
	@if command -v msgfmt >/dev/null 2>&1; then \
	  $(PY) manage.py compilemessages --ignore '.venv' --ignore 'var' -v0; \
	else \
	  echo "msgfmt is missing: pages stay in English until gettext is installed (apt-get install gettext)." >&2; \
	fi

# After changing words: collect every marked string into locale/<lang>/LC_MESSAGES/*.po
# (the network core's N_() words too), then translate the new entries (locale/GLOSSARY.md).
LANGS := -l de -l fr -l es
messages: $(VENV)/.installed
	$(PY) manage.py makemessages $(LANGS) --no-obsolete --add-location=file
	$(PY) manage.py makemessages -d djangojs $(LANGS) --no-obsolete --add-location=file

# Web server on 127.0.0.1:8000 plus a Celery worker process (with beat); Ctrl-C stops both.
# The web server is uvicorn (ASGI), not runserver: live status streams need ASGI. It
# restarts on .py and template changes; open streams get 1 s to end, then reconnect.
# A worker that stops for any reason is started again after 2 s, and says so.
# X-Forwarded-For is believed only from TRUSTED_PROXIES (empty: from nobody); uvicorn's
# own default would believe any peer on 127.0.0.1.
TRUSTED_PROXIES ?=
export TRUSTED_PROXIES
UVICORN_PROXIES := --forwarded-allow-ips '$(TRUSTED_PROXIES)'
UVICORN_DEV := --reload --reload-include '*.html' --reload-exclude $(VENV) --lifespan off --timeout-graceful-shutdown 1
run: migrate
	@echo "Starting the worker and the web server on http://127.0.0.1:8000/"
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	( trap 'kill $$child 2>/dev/null; wait $$child 2>/dev/null; exit 0' INT TERM; \
	  while :; do \
	    $(PY) -m celery -A emailcenter worker --beat --loglevel INFO & child=$$!; \
	    wait $$child; code=$$?; \
	    echo "make run: the worker stopped (exit status $$code); starting it again in 2 s" >&2; \
	    sleep 2; \
	  done ) & worker=$$!; \
	$(PY) -m uvicorn emailcenter.asgi:application --host 127.0.0.1 --port 8000 $(UVICORN_PROXIES) $(UVICORN_DEV)

worker: migrate
	$(PY) -m celery -A emailcenter worker --loglevel INFO

# PYTEST_ARGS passes options through, e.g. PYTEST_ARGS='-m "not tier_independent"'.
test: translations
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles

# Time the admin review pages on 100,000 tests in a scratch database; records bench/RESULTS.md.
# BENCH_DATABASE_URL=postgres://... runs it on PostgreSQL (that database is emptied first).
bench-review: $(VENV)/.installed
	$(PY) bench/review_pages.py --write

# Time autodetection against local DNS/HTTPS servers (known domain, custom domain by MX,
# full cascade under the deadline); records bench/RESULTS.md.
bench-autodetect: $(VENV)/.installed
	$(PY) bench/autodetect.py --write

# The worker and web benchmarks (need Dovecot and wrk from Debian).
bench-worker: $(VENV)/.installed
	$(PY) bench/concurrency.py --write
	$(PY) bench/timeouts.py --write

bench-web: $(VENV)/.installed
	$(PY) bench/web.py --write

# What a person sees, in Chromium (Debian's chromium, Dovecot), against web and worker
# processes: on the default tier and on PostgreSQL + Redis (127.0.0.1:5432 and :6379;
# a scratch database and a spare, empty Redis database number are used and cleared).
# Click "Connect and test" to "Connected", beside the standard-library floor:
bench-e2e: $(VENV)/.installed
	$(PY) bench/e2e.py --write

# Address field blur to MX-detected settings in the form, through a loopback DNS server:
bench-detect-page: $(VENV)/.installed
	$(PY) bench/detect_page.py --write

# 1,000 open mailbox pages on one uvicorn process: idle cost, time to push 1,000 results,
# beside 1,000 pages polling once a second (the old design):
bench-watchers: $(VENV)/.installed
	$(PY) bench/watchers.py --write

# Health checks: the admins' fleet view on PostgreSQL (BENCH_DATABASE_URL or a
# scratch database) and one check cycle of 10,000 mailboxes (the fleet size health checks are built for) against servers
# that wait 1 s to greet, with one worker and then two (about 15 minutes; the Redis
# broker in database 5, which must be empty).
bench-fleet: $(VENV)/.installed
	$(PY) bench/fleet.py --write

bench-health-cycle: $(VENV)/.installed
	BENCH_REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/5} $(PY) bench/health_cycle.py --full --write

# Bulk import: a 1,000-row dry run against servers that wait 1 s to greet.
bench-import: $(VENV)/.installed
	$(PY) bench/import_dry_run.py --write

# Every benchmark, each recording its own section of bench/RESULTS.md.
bench: bench-autodetect bench-review bench-worker bench-web bench-e2e bench-detect-page bench-watchers \
	bench-fleet bench-health-cycle bench-import
