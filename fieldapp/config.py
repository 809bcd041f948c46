"""Defaults only. Secrets and site settings come from instance/config.py or FIELDAPP_* variables."""

from datetime import timedelta

# Path of the SQLite file; relative paths are taken from the project's instance/ folder.
DATABASE = "fieldapp.db"
# FULL: every commit an officer was told is saved survives a power loss.  NORMAL is faster but
# may lose the last commits on power loss; acceptable only with Litestream or on a battery-backed
# disk (bench/RESULTS.md records the cost).
SQLITE_SYNCHRONOUS = "FULL"
# A connection checkpoints the WAL into the database file when a commit leaves it this many pages
# long (SQLite's own default).  0 when Litestream replicates the database (deploy/ sets it in
# every unit): Litestream checkpoints itself, and the app's checkpoints race it and tore the
# replica (tests/test_litestream.py under load: 9 runs in 14 with 1000, none with 0).
SQLITE_WAL_AUTOCHECKPOINT = 1000

# /healthz answers 503 "degraded" under this much free disk beside the database, or when the
# write lock cannot be had within HEALTH_LOCK_WAIT_MS.
HEALTH_MIN_FREE_MB = 50
HEALTH_LOCK_WAIT_MS = 2000
# Largest JSON body of /api/sync (bytes) and the deepest nesting any JSON body may have.
SYNC_MAX_BYTES = 2 * 1024 * 1024
JSON_MAX_DEPTH = 20

# Sessions: idle and absolute lifetimes, enforced on the server for every request.
IDLE_TIMEOUT_MINUTES = 30
ABSOLUTE_TIMEOUT_HOURS = 12

# Failed logins are counted over LOGIN_WINDOW_MINUTES.  After LOGIN_MAX_FAILURES failures an
# account waits 1 minute before the next try, then 2, 4, 8 ... (at most the window); one client
# address gets at most LOGIN_CLIENT_MAX_FAILURES failures in the window, whatever the accounts.
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_MINUTES = 15
LOGIN_CLIENT_MAX_FAILURES = 20

# OWASP ASVS: PBKDF2-SHA256 with at least 600,000 iterations.  (scrypt at N=131072 needs 128 MB
# per hash, which alone would break the 100 MB budget of a gunicorn worker.)
PASSWORD_HASH_METHOD = "pbkdf2:sha256:600000"
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256

DEMO_PASSWORD = "fieldapp-demo-2026"

# Police services that share the city; the directory's partnership register and the board report
# are kept per police service.  The code (HRP, RCMP) is the stable key (database, URLs, CSV keys);
# the name and abbreviation are shown in the reader's language (fieldapp/police.py).  French:
# the RCMP's own usage (GRC) and the Halifax Regional Municipality's (PRH).
POLICE_SERVICES = {
    "HRP": {"name": {"en": "Halifax Regional Police", "fr": "Police régionale d’Halifax"},
            "abbreviation": {"en": "HRP", "fr": "PRH"}},
    "RCMP": {"name": {"en": "RCMP Halifax District", "fr": "District d’Halifax de la GRC"},
             "abbreviation": {"en": "RCMP", "fr": "GRC"}},
}

TIMEZONE = "America/Halifax"
LANGUAGES = ["en", "fr"]
BABEL_DEFAULT_LOCALE = "en"
WTF_I18N_ENABLED = True

# Uploads (HSDS packages, calls-for-service CSV) are the largest requests.
MAX_CONTENT_LENGTH = 20 * 1024 * 1024
# What one upload may unpack to (all files of a zip together, counted as they are read) and how
# many rows it may hold; over either it is refused with 413 and nothing is written.  They keep
# a worker near its 100 MB budget: uploads are parsed as streams, but HSDS rows are held until
# the import is checked (5,000 services are about 35,000 rows).
UPLOAD_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
UPLOAD_MAX_ROWS = 200_000

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "fieldapp_session"
PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
# Set FIELDAPP_PREFERRED_URL_SCHEME=https behind a TLS proxy: cookies become Secure.
PREFERRED_URL_SCHEME = "http"

# Behind a reverse proxy that sets X-Forwarded-For/-Proto, the number of proxies to trust.
TRUSTED_PROXIES = 0

# E-mail to partner agencies (no mail is sent while SMTP_HOST is empty).
SMTP_HOST = ""
SMTP_PORT = 25
SMTP_USERNAME = ""
SMTP_PASSWORD = ""
SMTP_STARTTLS = False
SMTP_FROM = "fieldapp@localhost"
# Seconds one SMTP socket operation may wait (the sender runs outside requests).
SMTP_TIMEOUT = 10
# Referral e-mails wait in an outbox table; `flask referrals send-mail` (run it every minute from
# a timer) sends what is due.  A failed attempt is tried again after 1, 2, 4 ... minutes (each
# up to a quarter longer at random), at most MAIL_RETRY_MAX_SECONDS apart; after
# MAIL_MAX_ATTEMPTS attempts the e-mail has failed for good and coordinators see it.
MAIL_MAX_ATTEMPTS = 8
MAIL_RETRY_BASE_SECONDS = 60
MAIL_RETRY_MAX_SECONDS = 3600
# Also send a request's new e-mails from a background thread as soon as it has committed (the
# request never waits for the SMTP server); the timer still sends whatever this misses.
MAIL_SEND_AFTER_REQUEST = True
# Public origin of the e-mailed links (e.g. https://fieldapp.example.org); never the request's
# Host header.  Production without it sends referral e-mails without their link.
BASE_URL = ""
# Host names the app answers (others get 400), e.g. ["fieldapp.example.org"]; unset: the hosts
# of SERVER_NAME and BASE_URL, and with neither, any host (development and tests).
TRUSTED_HOSTS = None

# Referrals: e-mailed links last this long; an urgent referral not accepted within
# URGENT_ACCEPT_MINUTES is flagged; unanswered referrals expire after REFERRAL_EXPIRE_DAYS.
REFERRAL_LINK_HOURS = 72
URGENT_ACCEPT_MINUTES = 30
REFERRAL_EXPIRE_DAYS = 7

# Directory listings not verified for this many days join the coordinator's queue (amber).
DIRECTORY_VERIFY_DAYS = 180
# Rendered directory search pages and results kept per worker process (entries; 0 turns the
# cache off).  Exact: keyed by the directory's version, the local minute, language, role (and
# a partner's organization) and the search.  An entry is about 60 KB and lives one minute at
# most (the minute is in its key), so a few dozen cover a shift's searches in any minute and
# keep a worker's memory well under its budget (bench/RESULTS.md, worker RSS).
DIRECTORY_RESULTS_CACHE = 64
# Result cards kept rendered per worker (directory/cache.py: cards): the parts that show the
# listing, per listing, directory version, language and heading level (the hours, distance and
# verification are filled in per search).  A long-tail search reuses the cards earlier searches
# rendered.  0 turns it off.  About 1.1 KB per card: every listing of a directory of 4,000 in
# both languages.
DIRECTORY_CARD_CACHE = 8192
# The card details (phones, hours, languages, addresses, categories) of listings kept per worker
# and directory version (directory/cache.py: details), so a search reads the children only of
# listings no earlier search showed.  0 turns it off.  About 2 KB per listing (the details
# packed, the schedules as they are): every listing of a directory of 8,000.
DIRECTORY_DETAILS_CACHE = 8192
# The search page around the results (the form, its options and filters) kept rendered per
# worker (directory/cache.py: around), keyed by the language, role, directory version and the
# search's filters; the words typed and the results are filled in.  0 turns it off.  About 9 KB
# per entry.  Also the results around their cards (cache.results), per language and shape (how
# many, which page links): the cards and links are filled in; under 1 KB each.
DIRECTORY_FORM_CACHE = 128
# The search page around its content (base.html's head, menu and sync bar) kept rendered per
# worker (directory/cache.py: page), keyed by the user, language and what else it shows; the
# CSRF token, clock, address and content are filled in.  0 turns it off.  About 8 KB per entry.
DIRECTORY_PAGE_CACHE = 256

# FIELDAPP_PUBLIC_DIRECTORY_API=1 opens the read-only HSDS API without login (confidential
# locations stay hidden).
PUBLIC_DIRECTORY_API = False
# FIELDAPP_COUNTRY: the country (ISO 3166-1 alpha-2) of an HSDS address whose source names none.
COUNTRY = "CA"

# Contacts: repeat involvement is REPEAT_CONTACTS or more contacts within REPEAT_DAYS;
# people with no contact or open referral for RETENTION_DAYS are de-identified by `purge`.
REPEAT_CONTACTS = 2
REPEAT_DAYS = 60
RETENTION_DAYS = 730
# Board report: calls for service compared in this many days before and after first engagement.
REPEAT_CALL_WINDOW_DAYS = 90

# Offline outbox: the first retry waits this long, then doubles (with jitter) up to 5 minutes.
PWA_BACKOFF_BASE_MS = 2000

# Freeze the clock (ISO 8601, UTC) for tests and demos; empty means the real clock.
NOW = ""

# The partner inbox asks for its list again every this many seconds (htmx polling; an unchanged
# list answers 304 Not Modified).  Tests make it short.
INBOX_POLL_SECONDS = 20
