"""Settings for the Email Account Center.

Every knob comes from the environment (see .env.example). Development works with
nothing set: SQLite and a file-system Celery broker under var/. Production
(DEBUG=0) refuses to start without SECRET_KEY and CREDENTIALS_KEYS.
"""

import datetime
import ipaddress
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret(name: str, make) -> str:
    """A secret kept under var/ so that development restarts keep sessions and data."""
    path = VAR_DIR / name
    if not path.exists():
        # Processes started together on a fresh clone (web and worker) must agree on one
        # key: write it whole under another name, then link it into place; the first
        # link wins and the others read the winner's.
        draft = path.with_name(f".{name}.{os.getpid()}")
        draft.write_text(make())
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


if DEBUG:
    from django.core.management.utils import get_random_secret_key

    SECRET_KEY = env("SECRET_KEY", default="") or _development_secret("secret.key", get_random_secret_key)
else:
    SECRET_KEY = env("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")

# Credentials are encrypted with MultiFernet: the first key encrypts, all decrypt.
CREDENTIALS_KEYS = env.list("CREDENTIALS_KEYS", default=[])
if not CREDENTIALS_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("CREDENTIALS_KEYS must be set when DEBUG=0 (comma-separated Fernet keys).")
    from cryptography.fernet import Fernet

    CREDENTIALS_KEYS = [_development_secret("credentials.key", lambda: Fernet.generate_key().decode())]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# Proxies (addresses or networks) whose X-Forwarded-For is believed; empty: nobody's.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy.strip(), strict=False)  # a typo fails at start-up, not per request
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "accounts",
    "diagnostics",
    "review",
    "support",
    "core",
    "live",
    "mailauth",
    "languages",
]

MIDDLEWARE = [
    # First: everything after it (the sign-in throttle, logs) sees the client's address.
    "emailcenter.proxies.forwarded_client",
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise, async-capable: under ASGI a sync-only middleware would put every
    # request, and every live stream, through a thread.
    "emailcenter.static_middleware.AsyncWhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's LocaleMiddleware with the account's saved language first (it reads the
    # session, so it comes after SessionMiddleware, and before CommonMiddleware).
    "languages.middleware.SavedLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A locked or unreachable database: a 503 page that keeps the form, not a 500.
    "emailcenter.unavailable.DatabaseUnavailableMiddleware",
    # Innermost: it sees login_required's redirect before anything else does.
    "emailcenter.signed_out.signed_out_htmx",
]
# Error pages and reports never show a password, token or secret, under DEBUG too.
DEFAULT_EXCEPTION_REPORTER_FILTER = "emailcenter.reporting.SecretsFilter"

ROOT_URLCONF = "emailcenter.urls"
WSGI_APPLICATION = "emailcenter.wsgi.application"
# Served by uvicorn (`make run`) and by gunicorn's uvicorn workers in production: the
# live status streams need ASGI (WSGI would hold a thread per open page).
ASGI_APPLICATION = "emailcenter.asgi.application"
# Requests one web process runs through Django at once; the rest wait their turn in the
# event loop (emailcenter/admission.py). 0 turns the limit off.
WEB_MAX_CONCURRENT_REQUESTS = env.int("WEB_MAX_CONCURRENT_REQUESTS", default=8)

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
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker is a separate process: WAL and immediate transactions let it
    # write steps while the web process reads them.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests run a real worker process, so the test database must be a file. One per
    # test run (the worker is handed the exact name), so that runs never collide.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_emailcenter_{os.getpid()}"}

# PostgreSQL: a connection pool per process (psycopg_pool). Under ASGI each request runs
# in a thread of its own, so thread-local persistent connections would be opened anew for
# nearly every request; a pool hands a warm one over and bounds how many a process holds
# (a worker's 200 threads share DATABASE_POOL_SIZE). SQLite keeps one per thread.
DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=20)
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" and DATABASE_POOL_SIZE > 0:
    from psycopg_pool import ConnectionPool

    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=20.0),
        # After a PostgreSQL restart the pooled connections are dead: each is checked as it
        # is handed out (one round trip) and replaced, so no request meets a dead one.
        "check": ConnectionPool.check_connection,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them
else:
    # Under ASGI a request's connection belongs to that request's context, which ends with
    # it: a "persistent" one would only linger until garbage collection (Django advises 0).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Celery workers keep their threads' connections this long (emailcenter/celery.py).
WORKER_CONN_MAX_AGE = env.int("WORKER_CONN_MAX_AGE", default=600)

REDIS_URL = env("REDIS_URL", default="")

# What more than one process must see (autodetection answers, rate limits, pauses,
# throttles) lives where every process sees it, never in one process's memory: Redis
# when REDIS_URL is set, else the database (the cache table `migrate` creates, and
# the counters in core).
if REDIS_URL:
    CACHES = {
        "default": {
            # Logs and answers "missing" instead of raising while Redis is down.
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default=""),
            # A Redis that does not answer must not stall a page.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {
        "default": {
            # Answers "missing" instead of raising when its table is not there yet.
            "BACKEND": "core.cache.ResilientDatabaseCache",
            "LOCATION": "shared_cache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
# Sessions live in the database alone, on both tiers: one primary-key read per request,
# and nothing to lose or go stale while Redis is down. (With cached_db, a sign-out while
# Redis does not answer deletes the database row but not the cached copy, which would
# sign the old cookie back in once Redis answers again.)
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# People sign in with their email address (or an older account's username).
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailOrUsernameBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "mailbox_list"
LOGOUT_REDIRECT_URL = "login"

# The languages the app speaks (languages/: the saved choice, then Accept-Language, then
# English). Catalogues live in locale/; `make messages` updates them, and the build
# compiles them (`manage.py compilemessages`, gettext's msgfmt).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# In development uvicorn serves static files through WhiteNoise, straight from the apps.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "emailcenter.dev_static.VersionedStaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if DEBUG:
    # URLs carry each file's modification time (emailcenter/dev_static.py): the browser
    # keeps scripts and styles between pages, as it does in production, and an edited
    # file has a new URL.
    WHITENOISE_MAX_AGE = 3600

SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="support@example.com")
# Mail the app itself sends (support replies). Development prints it; production needs
# an SMTP relay: EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS.
_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
_mail_backend = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend" if DEBUG else _SMTP_BACKEND,
)
MAILERS = {"default": {"BACKEND": _mail_backend}}
if _mail_backend == _SMTP_BACKEND:
    MAILERS["default"]["OPTIONS"] = {
        "host": env("EMAIL_HOST", default="localhost"),
        "port": env.int("EMAIL_PORT", default=587),
        "username": env("EMAIL_HOST_USER", default=""),
        "password": env("EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("EMAIL_USE_TLS", default=True),
    }

# Content Security Policy: no inline scripts or styles anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    LANGUAGE_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Celery: Redis when REDIS_URL is set, otherwise a broker that needs no server.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    if REDIS_URL.startswith("redis://"):  # rediss:// and sentinel keep kombu's own transports
        # kombu's Redis transport, surviving Redis leaving mid-task (emailcenter/redisbroker.py).
        CELERY_BROKER_TRANSPORT = "emailcenter.redisbroker:Transport"
else:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    # kombu's file transport, writing each message atomically (emailcenter/filebroker.py).
    CELERY_BROKER_TRANSPORT = "emailcenter.filebroker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The file broker polls its folder; 20 ms costs a listdir 50 times a second and
        # is most of how soon a worker picks a test up on this tier.
        "polling_interval": env.float("CELERY_BROKER_POLL_INTERVAL", default=0.02),
    }
CELERY_TASK_IGNORE_RESULT = True
# Probes mostly wait on the network: many threads in one process, not a few forks.
CELERY_WORKER_POOL = env("CELERY_WORKER_POOL", default="threads")
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=200)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat's ticks are written to the outbox (emailcenter/beat.py): one due while the broker is
# away is held and sent when it returns.
CELERY_BEAT_SCHEDULER = "emailcenter.beat:OutboxScheduler"
CELERY_BEAT_SCHEDULE = {
    "reap-stuck-tests": {
        "task": "diagnostics.tasks.reap_stuck_tests",
        "schedule": env.float("MAIL_REAPER_INTERVAL", default=60.0),
    },
}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="mailbox-tests")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when the broker is down.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
# A worker that loses the broker (Redis restarting) reconnects for as long as it takes,
# never giving up for good.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CHANNEL_ERROR_RETRY = True
# ...and tries again this often at most (Celery's own backoff grows to 30 s).
BROKER_RECONNECT_MAX_SECONDS = env.float("BROKER_RECONNECT_MAX_SECONDS", default=0.5)
CELERY_WORKER_CONSUMER = "emailcenter.consumer:Consumer"

# --- The outbox (core/outbox.py): every task is written with the row it concerns and
# handed to the broker on commit; what the broker could not take is held and sent again.
OUTBOX_SEND_ON_COMMIT = env.bool("OUTBOX_SEND_ON_COMMIT", default=True)
# How often each worker's and beat's relay looks for held tasks (seconds).
OUTBOX_RELAY_INTERVAL = env.float("OUTBOX_RELAY_INTERVAL", default=0.5)
# While the broker is away, tries come this often: doubling from the first to the last.
OUTBOX_RETRY_MIN_SECONDS = env.float("OUTBOX_RETRY_MIN_SECONDS", default=0.25)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=0.5)
# Workers and beat write a heartbeat row this often; /healthz/ calls one silent for three
# times as long dead.
HEARTBEAT_SECONDS = env.float("HEARTBEAT_SECONDS", default=5.0)

# --- Mailbox probes (the documented environment contract).
MAIL_PROBE_TIMEOUT = env.float("MAIL_PROBE_TIMEOUT", default=10.0)
MAIL_PROBE_DEADLINE = env.float("MAIL_PROBE_DEADLINE", default=30.0)
MAIL_ALLOWED_PRIVATE_HOSTS = env.list("MAIL_ALLOWED_PRIVATE_HOSTS", default=[])
# The round trip (a test message to the mailbox itself): how long to wait for it, and whether
# a mailbox's first test runs it (later tests run it when asked; never on a schedule).
MAIL_ROUND_TRIP_DEADLINE = env.float("MAIL_ROUND_TRIP_DEADLINE", default=60.0)
MAIL_ROUND_TRIP_ON_FIRST_TEST = env.bool("MAIL_ROUND_TRIP_ON_FIRST_TEST", default=True)
# The host a custom open/click tracking domain must be a CNAME of (empty: no custom domains).
TRACKING_CNAME_TARGET = env("TRACKING_CNAME_TARGET", default="")
# Connection-test limits (per hour unless noted), counted by core.counters (every process together).
MAIL_TEST_RATE_WINDOW = env.int("MAIL_TEST_RATE_WINDOW", default=3600)
MAIL_TEST_RATE_PER_USER = env.int("MAIL_TEST_RATE_PER_USER", default=30)
MAIL_TEST_RATE_PER_HOST = env.int("MAIL_TEST_RATE_PER_HOST", default=300)
MAIL_TEST_RATE_PER_LOGIN = env.int("MAIL_TEST_RATE_PER_LOGIN", default=10)
# After this many wrong-password refusals for one (host, username), pause for the window.
# Distinct passwords a (host, login) may refuse per window before tests pause; the same
# refused password is never sent again (core.refused), so retyping it costs no try.
MAIL_AUTH_FAILURE_LIMIT = env.int("MAIL_AUTH_FAILURE_LIMIT", default=5)
MAIL_AUTH_FAILURE_WINDOW = env.int("MAIL_AUTH_FAILURE_WINDOW", default=3 * 3600)
MAIL_LIMITS_NAMESPACE = env("MAIL_LIMITS_NAMESPACE", default="v1")
# Sign-in throttles per (account name, client address) and per address; sign-ups per address.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=900)
SIGNUP_RATE_PER_IP = env.int("SIGNUP_RATE_PER_IP", default=10)
# Extra ports beyond 25, 465, 587, 2525, 143 and 993 (exempt hosts may use any port).
MAIL_ALLOWED_PORTS = env.list("MAIL_ALLOWED_PORTS", cast=int, default=[])
DNS_NAMESERVERS = env.list("DNS_NAMESERVERS", default=[])
SSL_CERT_FILE = env("SSL_CERT_FILE", default="")

# --- Autodetection: the cascade that finds SMTP/IMAP settings for a domain.
AUTOCONFIG_DEADLINE = env.float("AUTOCONFIG_DEADLINE", default=6.0)
AUTOCONFIG_ISPDB_URL = env("AUTOCONFIG_ISPDB_URL", default="https://autoconfig.thunderbird.net/v1.1/")
AUTOCONFIG_CACHE_SECONDS = env.int("AUTOCONFIG_CACHE_SECONDS", default=24 * 3600)
# Internal, for tests only (not read from the environment): the ports the autoconfig
# URLs use, and {standard port: port} for the guessing probes.
AUTOCONFIG_HTTPS_PORT = 443
AUTOCONFIG_HTTP_PORT = 80
AUTOCONFIG_GUESS_PORTS: dict[int, int] = {}

# --- Support requests and screenshots.
# Uploads live under var/media through the default storage. MEDIA_URL is not routed
# anywhere: screenshots are served only by a view that checks permission.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
SUPPORT_SCREENSHOT_MAX_BYTES = env.int("SUPPORT_SCREENSHOT_MAX_BYTES", default=10 * 1024 * 1024)
SUPPORT_SCREENSHOT_MAX_PIXELS = env.int("SUPPORT_SCREENSHOT_MAX_PIXELS", default=40_000_000)
SUPPORT_SCREENSHOTS_PER_UPLOAD = env.int("SUPPORT_SCREENSHOTS_PER_UPLOAD", default=5)
# The form says "at most N screenshots"; past this hard cap Django answers 400 itself.
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# Support replies are sent from the support address.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=SUPPORT_EMAIL)
REVIEW_PAGE_SIZE = env.int("REVIEW_PAGE_SIZE", default=50)
# The trends view caches its daily counts this long (0 turns the cache off).
REVIEW_TRENDS_CACHE_SECONDS = env.int("REVIEW_TRENDS_CACHE_SECONDS", default=60)

# --- Live status (Server-Sent Events, see live/): pushed by Redis pub/sub with
# REDIS_URL, else through a small event table that each web process polls.
LIVE_HEARTBEAT_SECONDS = env.float("LIVE_HEARTBEAT_SECONDS", default=20.0)
# A stream ends after this long and the browser reconnects (and catches up).
LIVE_STREAM_MAX_SECONDS = env.float("LIVE_STREAM_MAX_SECONDS", default=300.0)
LIVE_POLL_INTERVAL = env.float("LIVE_POLL_INTERVAL", default=0.01)
LIVE_EVENT_RETENTION_SECONDS = env.int("LIVE_EVENT_RETENTION_SECONDS", default=300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# --- OAuth mailboxes (mailauth/): Gmail/Workspace and Outlook/Microsoft 365
# mailboxes sign in with their provider; tokens are encrypted with CREDENTIALS_KEYS.
GOOGLE_OAUTH_CLIENT_ID = env("GOOGLE_OAUTH_CLIENT_ID", default="")
GOOGLE_OAUTH_CLIENT_SECRET = env("GOOGLE_OAUTH_CLIENT_SECRET", default="")
MICROSOFT_OAUTH_CLIENT_ID = env("MICROSOFT_OAUTH_CLIENT_ID", default="")
MICROSOFT_OAUTH_CLIENT_SECRET = env("MICROSOFT_OAUTH_CLIENT_SECRET", default="")
MICROSOFT_OAUTH_TENANT = env("MICROSOFT_OAUTH_TENANT", default="common")
# OpenID discovery documents; empty means the provider's own (tests and sovereign clouds set them).
GOOGLE_OAUTH_METADATA_URL = env("GOOGLE_OAUTH_METADATA_URL", default="")
MICROSOFT_OAUTH_METADATA_URL = env("MICROSOFT_OAUTH_METADATA_URL", default="")
# The worker renews an access token this many seconds before it expires.
OAUTH_REFRESH_MARGIN = env.int("OAUTH_REFRESH_MARGIN", default=300)
# Tests only: {"google": {"smtp": Endpoint, "imap": Endpoint}} instead of the directory's servers.
OAUTH_MAIL_SERVERS: dict = {}

# --- Mailbox health checks (monitoring/) --- BEGIN
INSTALLED_APPS += ["monitoring"]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("monitoring.context.health_banner")
# Every connected mailbox is checked once per interval, at its own offset within it.
MAIL_HEALTH_INTERVAL = env.int("MAIL_HEALTH_INTERVAL", default=3600)
# At most this many logins at once to one provider host, across every worker.
MAIL_HEALTH_PER_HOST = env.int("MAIL_HEALTH_PER_HOST", default=20)
# Transient failures are retried after these many minutes before the mailbox counts as disconnected.
MAIL_HEALTH_BACKOFF_MINUTES = env.list("MAIL_HEALTH_BACKOFF_MINUTES", cast=int, default=[1, 5, 15])
# The scheduler claims due mailboxes in batches of this size (one short transaction each).
MAIL_HEALTH_BATCH = env.int("MAIL_HEALTH_BATCH", default=500)
# Every check is kept this many days, then one a day.
MAIL_HEALTH_RETENTION_DAYS = env.int("MAIL_HEALTH_RETENTION_DAYS", default=14)
# Alert emails to one person per rolling day at most (the digest and "working again" included).
MAIL_HEALTH_ALERTS_PER_DAY = env.int("MAIL_HEALTH_ALERTS_PER_DAY", default=10)
# The hour (TIME_ZONE) at which the daily digest of failing mailboxes goes out.
MAIL_HEALTH_DIGEST_HOUR = env.int("MAIL_HEALTH_DIGEST_HOUR", default=7)
# Base URL for links in alert emails (no request there to build it from).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
CELERY_BEAT_SCHEDULE["health-schedule-due"] = {
    "task": "monitoring.tasks.schedule_due_checks",
    "schedule": 60.0,
}
# Exchange Online switches Basic authentication for SMTP client submission off by default on
# this date (550 5.7.30); owners of Microsoft mailboxes still on a password are told once before.
MICROSOFT_BASIC_AUTH_CUTOFF = datetime.date.fromisoformat(
    env("MICROSOFT_BASIC_AUTH_CUTOFF", default="2026-12-31")
)
# Hourly: the daily digest goes out at MAIL_HEALTH_DIGEST_HOUR; retention thins old checks.
CELERY_BEAT_SCHEDULE["health-hourly"] = {
    "task": "monitoring.tasks.hourly_upkeep",
    "schedule": 3600.0,
}
# --- Mailbox health checks --- END

# --- Bulk import (imports/): connect many mailboxes from one CSV. ---
INSTALLED_APPS += ["imports"]
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=5000)
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
# Enforced while reading: a row with more columns ends the read; a longer cell is cut one
# character past this (every column's own limit is lower, so its row is refused by name).
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=100)
IMPORT_MAX_CELL_CHARS = env.int("IMPORT_MAX_CELL_CHARS", default=2000)

# --- Bounded input: what any request body may hold (README, "Bounded input").
# Form fields (not files) at most 2.5 MB and 1,000 fields: Django's defaults, stated here.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# A whole body, refused as it arrives past this: room for the largest legitimate one
# (a support message with its screenshots), and 1 MB for the form around it.
_LARGEST_BODY = max(IMPORT_MAX_BYTES, SUPPORT_SCREENSHOTS_PER_UPLOAD * SUPPORT_SCREENSHOT_MAX_BYTES)
WEB_MAX_BODY_BYTES = env.int("WEB_MAX_BODY_BYTES", default=_LARGEST_BODY + 1024 * 1024)
# Rows per worker task; a task tests its rows at the same time.
IMPORT_CHUNK_SIZE = env.int("IMPORT_CHUNK_SIZE", default=25)
# An unfinished import (and every row's encrypted password) is deleted after this long.
IMPORT_RETENTION_HOURS = env.int("IMPORT_RETENTION_HOURS", default=24)
CELERY_BEAT_SCHEDULE["reap-imports"] = {
    "task": "imports.tasks.reap",
    "schedule": env.float("MAIL_REAPER_INTERVAL", default=60.0),
}
# --- end of bulk import settings. ---
