"""Settings for Santé & Territoires.

Everything lives here; ``test.py`` and ``prod.py`` only override. With nothing configured the
portal runs on an embedded SpatiaLite file under ``var/`` and Celery tasks run in-process.
"""

import ipaddress
import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# The developer's .env (ENV_FILE to read another). The test settings ignore it
# (DJANGO_IGNORE_ENV_FILE): a copied .env.example must not change what the tests run.
ENV_FILE = Path(os.environ.get("ENV_FILE") or BASE_DIR / ".env")
if ENV_FILE.exists() and not os.environ.get("DJANGO_IGNORE_ENV_FILE"):
    environ.Env.read_env(ENV_FILE, overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-key-change-me-in-production-0123456789abcdef")
# Former keys, still accepted (signed cookies, and the sealed ballots of a vote opened before a
# rotation: proposals/orientation/ballot_box.py). Comma-separated.
SECRET_KEY_FALLBACKS = [k for k in env.list("SECRET_KEY_FALLBACKS", default=[]) if k.strip()]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.humanize",
    "leaflet",
    "ninja",  # the API documentation page (Swagger UI served from static files)
    "simple_history",
    "csp",
    "django_ratelimit",  # its system checks refuse a per-process cache in production
    "territories",
    "offers",
    "indicators",
    "proposals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "territories.web.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "territories.web.memo.RequestMemoMiddleware",
    "territories.web.middleware.CapRequestBodyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "territories.web.sections.navigation",
            ],
        },
    },
]

# Database: postgis://… in production and tests; unset → embedded SpatiaLite file.
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db(
        "DATABASE_URL",
        default=f"spatialite:///{VAR_DIR / 'sante-territoires.sqlite3'}",
    )
}
if DATABASES["default"]["ENGINE"] == "django.contrib.gis.db.backends.spatialite":
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
SPATIALITE_LIBRARY_PATH = env.str("SPATIALITE_LIBRARY_PATH", default="mod_spatialite")
IS_POSTGIS = DATABASES["default"]["ENGINE"] == "django.contrib.gis.db.backends.postgis"
if IS_POSTGIS:
    # Persistent connections: a request reuses its worker's connection (3 ms of connect and
    # startup saved on every page), checked before reuse so a restarted server costs no error.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "territories:home"
LOGOUT_REDIRECT_URL = "territories:home"

LANGUAGE_CODE = "fr-fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves it once collectstatic has run
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

FIXTURES_DIR = BASE_DIR / "fixtures"

# Request bodies (territories.web.middleware.CapRequestBodyMiddleware): forms and contributions stay far
# below 2 MiB; data files go only to the upload pages, for signed-in staff.
MAX_REQUEST_BODY = env.int("MAX_REQUEST_BODY", default=2 * 1024 * 1024)
MAX_UPLOAD_BODY = env.int("MAX_UPLOAD_BODY", default=210 * 1024 * 1024)
# Import caps sized on memory (README « Import caps and memory »); 0 keeps the reading layer's
# default: 96 MiB per file once out of its container, 500,000 lines per text table, 48 MiB per
# unfolded XLSX workbook, 1,048,576 rows per sheet, 40,000 establishments kept from a FINESS extract.
IMPORT_MAX_DECOMPRESSED_BYTES = env.int("IMPORT_MAX_DECOMPRESSED_BYTES", default=0)
IMPORT_MAX_TABLE_ROWS = env.int("IMPORT_MAX_TABLE_ROWS", default=0)
IMPORT_MAX_XLSX_BYTES = env.int("IMPORT_MAX_XLSX_BYTES", default=0)
IMPORT_MAX_XLSX_ROWS = env.int("IMPORT_MAX_XLSX_ROWS", default=0)
IMPORT_MAX_FINESS_STRUCTURES = env.int("IMPORT_MAX_FINESS_STRUCTURES", default=0)
UPLOAD_PATHS = ["/indicateurs/imports/"]

# Two shared caches for every gunicorn worker (local memory in the embedded default):
# - "default" (CACHE_URL): cached pages, map layers and API answers — disposable, so in production
#   a Redis of its own with a memory cap and LRU eviction (config/redis/cache.conf, port 6380);
# - "sessions" (SESSION_CACHE_URL, default CACHE_URL): the session copies of cached_db and the
#   rate-limit counters — a Redis database without eviction, apart from the Celery broker's.
# On Redis both are fail-safe (territories.web.cache): an outage serves pages without cache and
# reads sessions from PostgreSQL, never a 500.
CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
    "sessions": env.cache("SESSION_CACHE_URL", default=env.str("CACHE_URL", default="locmemcache://")),
}
for _cache in CACHES.values():
    if _cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        _cache["BACKEND"] = "territories.web.cache.FailSafeRedisCache"
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"
RATELIMIT_USE_CACHE = "sessions"
# A counter that cannot be read (cache down) lets the request through rather than refusing every
# visitor: an outage must not lock the owners out (the limits resume with the cache).
RATELIMIT_FAIL_OPEN = env.bool("RATELIMIT_FAIL_OPEN", default=True)

# Celery: unset broker → tasks run in-process (eager), same code path.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="")
# No broker configured (memory://, never used since tasks run eagerly) → in-process tasks.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
# Without a broker an uploaded file is imported in a thread of the web process: the upload page
# returns at once to the progress page, as with a Celery worker.
UPLOADS_IN_BACKGROUND = env.bool("UPLOADS_IN_BACKGROUND", default=True)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Publish gate: a run that reclassifies more than this share of the communes, or whose GP supply
# covers fewer départements than the published run's, is computed but held « à valider ».
PUBLISH_GATE_SHARE = env.float("PUBLISH_GATE_SHARE", default=0.05)
# … and per département: a run is also held when any département loses more than this share of its
# GP supply (headcount) or sees more than this share of its communes change class (at least
# PUBLISH_GATE_DEPARTEMENT_MIN_COMMUNES communes). The thresholds are recorded in each run.
PUBLISH_GATE_DEPARTEMENT_SUPPLY_LOSS = env.float("PUBLISH_GATE_DEPARTEMENT_SUPPLY_LOSS", default=0.2)
PUBLISH_GATE_DEPARTEMENT_SHARE = env.float("PUBLISH_GATE_DEPARTEMENT_SHARE", default=0.2)
PUBLISH_GATE_DEPARTEMENT_MIN_COMMUNES = env.int("PUBLISH_GATE_DEPARTEMENT_MIN_COMMUNES", default=5)
# Per-commune values of older runs are pruned beyond this many published runs (summary and diff
# are kept).
RUN_VALUES_KEPT = env.int("RUN_VALUES_KEPT", default=5)

# A task whose worker dies is redelivered after the visibility timeout: just above the hard time
# limit of the longest task (a full recompute takes seconds; imports minutes), not one hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 5 * 60}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BEAT_SCHEDULE = {
    # Runs whose worker died or whose task never reached a worker are failed, saying why.
    "fail-stale-runs": {"task": "indicators.tasks.fail_stale_runs", "schedule": 60},
    # Nightly safety net: recompute indicators from the current data (imports also trigger it).
    "nightly-recompute-indicators": {
        "task": "indicators.tasks.recompute_indicators",
        "schedule": 60 * 60 * 24,
        "kwargs": {"trigger": "beat"},
    },
}

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (46.6, 2.4),
    "DEFAULT_ZOOM": 6,
    "MIN_ZOOM": 4,
    "MAX_ZOOM": 18,
    "TILES": [
        (
            "OpenStreetMap",
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            {"attribution": "&copy; les contributeurs d’OpenStreetMap"},
        )
    ],
    "RESET_VIEW": False,
}

# Content-Security-Policy on every response: no inline script anywhere (JavaScript lives in
# static/js, data travels as JSON in data-* attributes or json_script), no inline style attribute;
# the only third party is the OpenStreetMap tile server.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "https://tile.openstreetmap.org"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Permissions-Policy: the portal uses none of these browser features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
        "microphone", "midi", "payment", "usb", "fullscreen", "browsing-topics",
    )
}  # fmt: skip

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated; e.g.
# 127.0.0.1,::1 for nginx on the same host). Every rate limit keys on the client address they
# report (territories.web.client); without them, on REMOTE_ADDR.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
RATELIMIT_IP_META_KEY = "territories.web.client.client_ip"
# Anonymous requests to the public API, per client address. A partner downloading every commune
# needs 36 pages of 1,000.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="300/m")
# Map layers of the pages (GeoJSON, cached): per client address; a visitor's page loads one or two.
LAYER_RATE_LIMIT = env.str("LAYER_RATE_LIMIT", default="120/m")
# Territory pages seen by anonymous visitors are cached under the data state (a new run, import,
# registry edit or moderated contribution changes the key) for at most this many seconds.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300)
# Sign-in throttling (territories.web.login): per submitted user name and per client address.
LOGIN_RATE_PER_USERNAME = env.str("LOGIN_RATE_PER_USERNAME", default="10/h")
LOGIN_RATE_PER_IP = env.str("LOGIN_RATE_PER_IP", default="50/h")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

for _proxy in TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy.strip(), strict=False)  # a typo stops the start, never trusts all

# Debian 12 ships GDAL 3.6: the portal never opens user-supplied spatial references through GDAL.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]
# Django's own RedisCache increments atomically (django-ratelimit lists only django-redis).
SILENCED_SYSTEM_CHECKS += ["django_ratelimit.W001"]
if CACHES["sessions"]["BACKEND"].endswith("LocMemCache"):
    # Embedded default: one process, so a per-process cache counts right. prod.py refuses it.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003"]
