# Santé & Territoires — the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# Debian's interpreter can load SQLite extensions (SpatiaLite); pyenv's cannot.
SYSTEM_PYTHON ?= /usr/bin/python3
TEST_DATABASE_URL ?= postgis://postgres@127.0.0.1:5432/sante_territoires
APT_PACKAGES := gdal-bin libsqlite3-mod-spatialite postgresql-15-postgis-3 python3-venv chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
HOST ?= 127.0.0.1:8000

.PHONY: run serve test system-deps venv services migrate load quality bench clean

## Run the portal with all of France loaded (embedded SpatiaLite unless DATABASE_URL is set).
## DEBUG is off unless asked (DEBUG=true make run): a mistyped address shows the site's own 404;
## --insecure lets runserver serve the static files without DEBUG. Migrations and imports run in
## one process (one start of Django instead of two); the server reloads on code changes only with
## DEBUG=true (the reloader starts Django twice: seconds before the first page).
run: system-deps venv
	$(PY) manage.py load_all --migrate
	DEBUG=$${DEBUG:-false} $(PY) manage.py runserver --insecure $(if $(filter true,$(DEBUG)),,--noreload) $(HOST)

## Production: gunicorn + a Celery worker + beat + the cache Redis under supervisord
## (config/supervisor/supervisord.conf: a process that exits is restarted alone) on PostGIS and
## Redis from the environment (DATABASE_URL, CELERY_BROKER_URL, CACHE_URL, SESSION_CACHE_URL,
## SECRET_KEY, ALLOWED_HOSTS, TRUSTED_PROXIES, STATIC_ROOT, MEDIA_ROOT; DJANGO_SETTINGS_MODULE
## defaults to config.settings.prod here). See README, « Production ».
SUPERVISOR_RUN_DIR ?= $(CURDIR)/var
CACHE_REDIS_AUTOSTART ?= true
serve: system-deps venv
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.prod} $(PY) manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.prod} $(PY) manage.py collectstatic --noinput -v0
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-config.settings.prod} PATH=$(CURDIR)/$(VENV)/bin:$$PATH \
	  SUPERVISOR_RUN_DIR=$(SUPERVISOR_RUN_DIR) CACHE_REDIS_AUTOSTART=$(CACHE_REDIS_AUTOSTART) \
	  $(VENV)/bin/supervisord -n -c config/supervisor/supervisord.conf

## Run the whole test suite on PostGIS + Redis: the suite in parallel, then the tests that need a
## live server or a real Celery worker (they flush their database, so they get one of their own),
## then the smoke tests of the embedded SpatiaLite default.
test: system-deps venv services
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest -n 2 --create-db -m "not browser and not celery_worker and not production and not concurrency" $(PYTEST_ARGS)
	DATABASE_URL=$(TEST_DATABASE_URL)_serial $(PY) -m pytest -p no:xdist --create-db -m "browser or celery_worker or production or concurrency" $(PYTEST_ARGS)
	DATABASE_URL=spatialite:///$(CURDIR)/var/test-spatialite.sqlite3 $(PY) -m pytest -p no:xdist --create-db -m spatialite $(PYTEST_ARGS)

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

## The venv is (re)installed only when it lacks a dependency of pyproject.toml at an accepted
## version (config/venv_check.py, ~0.1 s): a fresh clone with the venv in place starts at once.
venv:
	@test -x $(PY) || $(SYSTEM_PYTHON) -m venv $(VENV)
	@$(PY) config/venv_check.py || { $(PY) -m pip install -q --upgrade pip && $(PY) -m pip install -q -e ".[dev]"; }

## Start PostgreSQL and Redis when they are not running (CI machines start them already).
services:
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
	@for i in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done

migrate: venv
	$(PY) manage.py migrate --noinput

load: venv
	$(PY) manage.py load_all

quality: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

bench: venv services
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/bench_territories.py

clean:
	rm -rf var/*.sqlite3 var/staticfiles
