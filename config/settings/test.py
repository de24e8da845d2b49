"""Test settings: PostGIS by default (the PostgreSQL on 127.0.0.1), no secrets, no .env."""

import os

os.environ.setdefault("DATABASE_URL", "postgis://postgres@127.0.0.1:5432/sante_territoires")
os.environ["DJANGO_IGNORE_ENV_FILE"] = "1"  # only the real environment counts, never .env

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import env  # noqa: E402

DATABASES = {"default": env.db("DATABASE_URL")}  # noqa: F405
IS_POSTGIS = DATABASES["default"]["ENGINE"] == "django.contrib.gis.db.backends.postgis"
if not IS_POSTGIS:
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://"
# No broker configured (memory://, never used since tasks run eagerly) → in-process tasks.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
RATELIMIT_ENABLE = False
UPLOADS_IN_BACKGROUND = False  # tests read the outcome right after the POST; one test turns it on
DEBUG = False
# Pages are rendered fresh in tests (tests/api/test_page_cache.py turns the cache on).
PAGE_CACHE_SECONDS = 0
