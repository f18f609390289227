"""Example instance configuration: copy to instance/config.py and edit.

Environment variables (DATABASE_URL, SECRET_KEY, COURSE_*) override what is set here.
"""

# PostgreSQL for several servers behind a load balancer; SQLite in instance/ when unset.
# DATABASE_URL = "postgresql+psycopg://course:secret@db.internal/course"

# Required outside development. Generate with: python -c "import secrets; print(secrets.token_hex(32))"
# SECRET_KEY = "..."

# Outgoing mail. Without MAIL_SERVER, development writes messages to instance/outbox/.
# MAIL_SERVER = "smtp.example.org"
# MAIL_PORT = 587
# MAIL_USE_TLS = True
# MAIL_USERNAME = "course@example.org"
# MAIL_PASSWORD = "..."
# MAIL_DEFAULT_SENDER = "Pain course <course@example.org>"
# Message-IDs end in the sender's domain; set this to use another of the clinic's domains.
# MAIL_MESSAGE_ID_DOMAIN = "example.org"

# Behind Caddy (docs/DEPLOY.md): one proxy adds X-Forwarded-For and X-Forwarded-Proto. 0 without a proxy.
# COURSE_TRUSTED_PROXIES = 1
# Sign-in limits shared by every worker and server; required with more than one worker.
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"

# The address patients and therapists reach the service at, used in emailed links.
# COURSE_BASE_URL = "https://course.example.org"

# The time zone offered first to new patients (their browser's zone replaces it where JavaScript runs; unset:
# America/Denver in development, UTC otherwise), and crisis help shown on every patient page.
# COURSE_DEFAULT_TIMEZONE = "America/Denver"
# COURSE_CRISIS_LINE = "Call or text 988 (Suicide & Crisis Lifeline, US), or chat at 988lifeline.org"
# COURSE_EMERGENCY_NUMBER = "911"
