"""Settings for the Email Account Center.

Every knob comes from the environment (see .env.example). Development works with
nothing set: SQLite and a file-system Celery broker under var/. Production
(DEBUG=0) refuses to start without SECRET_KEY and CREDENTIALS_KEYS.
"""

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
        path.write_text(make())
        path.chmod(0o600)
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "emailcenter.urls"
WSGI_APPLICATION = "emailcenter.wsgi.application"

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

# Reuse connections across requests (polling is frequent); health-checked before reuse.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Sessions are read on every poll: keep them in the cache, written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default=""),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "mailbox_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

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
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Celery: Redis when REDIS_URL is set, otherwise a broker that needs no server.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The file broker polls; a tenth of a second keeps tests starting promptly.
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
# Probes mostly wait on the network: many threads in one process, not a few forks.
CELERY_WORKER_POOL = env("CELERY_WORKER_POOL", default="threads")
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=200)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
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

# --- Mailbox probes (the documented environment contract).
MAIL_PROBE_TIMEOUT = env.float("MAIL_PROBE_TIMEOUT", default=10.0)
MAIL_PROBE_DEADLINE = env.float("MAIL_PROBE_DEADLINE", default=30.0)
MAIL_ALLOWED_PRIVATE_HOSTS = env.list("MAIL_ALLOWED_PRIVATE_HOSTS", default=[])
# Connection-test limits (per hour unless noted), counted in the shared cache.
MAIL_TEST_RATE_WINDOW = env.int("MAIL_TEST_RATE_WINDOW", default=3600)
MAIL_TEST_RATE_PER_USER = env.int("MAIL_TEST_RATE_PER_USER", default=30)
MAIL_TEST_RATE_PER_HOST = env.int("MAIL_TEST_RATE_PER_HOST", default=300)
MAIL_TEST_RATE_PER_LOGIN = env.int("MAIL_TEST_RATE_PER_LOGIN", default=10)
# After this many wrong-password refusals for one (host, username), pause for the window.
MAIL_AUTH_FAILURE_LIMIT = env.int("MAIL_AUTH_FAILURE_LIMIT", default=3)
MAIL_AUTH_FAILURE_WINDOW = env.int("MAIL_AUTH_FAILURE_WINDOW", default=3 * 3600)
MAIL_LIMITS_NAMESPACE = env("MAIL_LIMITS_NAMESPACE", default="v1")
# Sign-in and sign-up throttles, per account name and per client address.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=900)
SIGNUP_RATE_PER_IP = env.int("SIGNUP_RATE_PER_IP", default=10)
# Extra ports beyond 25, 465, 587, 2525, 143 and 993 (exempt hosts may use any port).
MAIL_ALLOWED_PORTS = env.list("MAIL_ALLOWED_PORTS", cast=int, default=[])
DNS_NAMESERVERS = env.list("DNS_NAMESERVERS", default=[])
SSL_CERT_FILE = env("SSL_CERT_FILE", default="")

# --- Autodetection (issue 4): the cascade that finds SMTP/IMAP settings for a domain.
AUTOCONFIG_DEADLINE = env.float("AUTOCONFIG_DEADLINE", default=6.0)
AUTOCONFIG_ISPDB_URL = env("AUTOCONFIG_ISPDB_URL", default="https://autoconfig.thunderbird.net/v1.1/")
AUTOCONFIG_CACHE_SECONDS = env.int("AUTOCONFIG_CACHE_SECONDS", default=24 * 3600)
# Internal, for tests only (not read from the environment): the ports the autoconfig
# URLs use, and {standard port: port} for the guessing probes.
AUTOCONFIG_HTTPS_PORT = 443
AUTOCONFIG_HTTP_PORT = 80
AUTOCONFIG_GUESS_PORTS: dict[int, int] = {}

# --- Support requests and screenshots (issue 5).
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
