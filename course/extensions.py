"""Flask extensions, created unbound and wired in create_app."""

from __future__ import annotations

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

csrf = CSRFProtect()

# Storage comes from RATELIMIT_STORAGE_URI: Redis (redis://...) when several servers share the counters,
# memory otherwise. Limits are declared on the views that need them (sign-in, password reset).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# The methods no limit applies to: the limiter's hooks do not run for them at all
# (`course._limiter_for_writes_only`).
EXEMPT_FROM_LIMITS = frozenset({"GET", "HEAD", "OPTIONS"})


@limiter.request_filter
def _reads_are_never_limited() -> bool:
    """Every limit guards a POST (sign-in, password reset), so pages skip the limiter's lookups (~25 us each).

    A test (tests/security/test_sessions_and_passwords.py) checks that every declared limit names only POST.
    """
    return request.method in EXEMPT_FROM_LIMITS
