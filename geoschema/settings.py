"""Every setting of Quartier, read from the environment with defaults that work on a laptop.

In production (DJANGO_DEBUG unset or 0) DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS must be set.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(int(default))).lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-a-laptop"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "corsheaders",
    "strawberry_django",
    "places",
    "accounts",
    "offers",
    "matching",
    "events",
    "feed",
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.BearerTokenMiddleware",
    "geoschema.routers.ReplicaReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "geoschema.urls"
ASGI_APPLICATION = "geoschema.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# The database: DATABASE_URL, or the project-local cluster that `make run` / `make test` start.
DATABASE_URL = os.environ.get(
    "DATABASE_URL",
    f"postgis://quartier:quartier@127.0.0.1:{os.environ.get('QUARTIER_PG_PORT', '54329')}/quartier",
)


# Kept statements prepared by PostgreSQL, planned once per connection (geoschema/postgis/base.py).
PREPARED_STATEMENTS = env_bool("QUARTIER_PREPARED_STATEMENTS", True)


def database(url: str) -> dict:
    """A Django database from a URL, with the statement timeout and the connection pool."""
    # GeoDjango's PostGIS backend, with psycopg's C loader for timestamps (geoschema/postgis).
    db = dj_database_url.parse(url, engine="geoschema.postgis")
    db["OPTIONS"] = {
        # The API server bounds every statement (geoschema/asgi.py sets 15 s), so no request can hold
        # a connection for long; management commands (migrations, imports) run unbounded.
        "options": f"-c statement_timeout={int(os.environ.get('QUARTIER_STATEMENT_TIMEOUT_MS', '0'))}",
    }
    if env_bool("QUARTIER_DB_POOL", True):
        # psycopg's pool: a request borrows an open connection instead of paying for a new one.
        db["OPTIONS"]["pool"] = {
            "min_size": int(os.environ.get("QUARTIER_DB_POOL_MIN", "2")),
            "max_size": int(os.environ.get("QUARTIER_DB_POOL_MAX", "10")),
            "timeout": float(os.environ.get("QUARTIER_DB_POOL_TIMEOUT", "5")),
        }
        db["CONN_MAX_AGE"] = 0
    if PREPARED_STATEMENTS:
        # Django turns prepared statements off; its cursors bind on the client and never prepare
        # anyway, so this reaches only geoschema/postgis/base.py's prepared cursors.
        db["OPTIONS"]["prepare_threshold"] = 0
    return db


DATABASES = {"default": database(DATABASE_URL)}
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("QUARTIER_TEST_DB_NAME", "test_quartier")}
# Streaming replicas for the API's reads (geoschema/routers.py): writes, mutations and the reads of
# a client that has just written stay on the primary.
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS")):
    DATABASES[f"replica{_number}"] = {**database(_url), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["geoschema.routers.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# GDAL/GEOS may be pointed at other builds than the system's (for example the wheels' own).
if os.environ.get("GDAL_LIBRARY_PATH"):
    GDAL_LIBRARY_PATH = os.environ["GDAL_LIBRARY_PATH"]
if os.environ.get("GEOS_LIBRARY_PATH"):
    GEOS_LIBRARY_PATH = os.environ["GEOS_LIBRARY_PATH"]
# Debian 12 ships GDAL 3.6; Django 5.2 warns for GDAL < 3.9 but needs nothing newer.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# CORS: the map frontends allowed to call the API from a browser.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_ALL_ORIGINS = env_bool("CORS_ALLOW_ALL_ORIGINS", False)
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "origin", "user-agent"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
# Static files (the demo map at /, the admin's CSS) are served by WhiteNoise, in production too,
# straight from where they live: the map's sources and the npm packages `make run` installed.
STATIC_URL = "static/"
WEB_DIR = BASE_DIR / "web"
STATICFILES_DIRS = [("map", WEB_DIR / "src"), ("leaflet", WEB_DIR / "node_modules" / "leaflet" / "dist")]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Limits of the API, each of which a client can hit and be told about (LIMIT_EXCEEDED).
QUARTIER = {
    "READ_YOUR_WRITES_SECONDS": float(os.environ.get("QUARTIER_READ_YOUR_WRITES_SECONDS", "10")),
    "PAGE_SIZE_DEFAULT": 50,
    "PAGE_SIZE_MAX": int(os.environ.get("QUARTIER_PAGE_SIZE_MAX", "500")),
    "MAX_RADIUS_METERS": float(os.environ.get("QUARTIER_MAX_RADIUS_METERS", "50000")),
    "MAX_BBOX_DEGREES": float(os.environ.get("QUARTIER_MAX_BBOX_DEGREES", "2")),
    "MAX_GEOMETRY_VERTICES": int(os.environ.get("QUARTIER_MAX_GEOMETRY_VERTICES", "10000")),
    "MAX_QUERY_DEPTH": int(os.environ.get("QUARTIER_MAX_QUERY_DEPTH", "10")),
    "MAX_ALIASES": int(os.environ.get("QUARTIER_MAX_ALIASES", "15")),
    "MAX_TOKENS": int(os.environ.get("QUARTIER_MAX_TOKENS", "2000")),
    "MAX_LIST_ITEMS": int(os.environ.get("QUARTIER_MAX_LIST_ITEMS", "100")),
    "IMPORT_MAX_BYTES": int(os.environ.get("QUARTIER_IMPORT_MAX_BYTES", str(20 * 1024 * 1024))),
    "IMPORT_MAX_FEATURES": int(os.environ.get("QUARTIER_IMPORT_MAX_FEATURES", "5000")),
    "IMPORT_MAX_VERTICES": int(os.environ.get("QUARTIER_IMPORT_MAX_VERTICES", "2000000")),
    "STATS_MIN_COUNT": int(os.environ.get("QUARTIER_STATS_MIN_COUNT", "5")),
    "TOKEN_DAYS": int(os.environ.get("QUARTIER_TOKEN_DAYS", "30")),
    "LOGIN_MAX_FAILURES": int(os.environ.get("QUARTIER_LOGIN_MAX_FAILURES", "5")),
    "LOGIN_WINDOW_MINUTES": int(os.environ.get("QUARTIER_LOGIN_WINDOW_MINUTES", "15")),
    # Pages of plain fields built as JSON by PostgreSQL (geoschema.compiled); 0 resolves every field in Python.
    "COMPILED_PAGES": os.environ.get("QUARTIER_COMPILED_PAGES", "1") == "1",
    # Compiled pages' statements kept per query shape (geoschema.statements).
    "KEPT_STATEMENTS": os.environ.get("QUARTIER_KEPT_STATEMENTS", "1") == "1",
    "PREPARED_STATEMENTS": PREPARED_STATEMENTS,
}

# A partner's GeoJSON travels in the request body: allow a little more than the import limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = QUARTIER["IMPORT_MAX_BYTES"] + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

STRAWBERRY_DJANGO = {
    "FIELD_DESCRIPTION_FROM_HELP_TEXT": True,
    "TYPE_DESCRIPTION_FROM_MODEL_DOCSTRING": True,
    "PAGINATION_DEFAULT_LIMIT": QUARTIER["PAGE_SIZE_DEFAULT"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
