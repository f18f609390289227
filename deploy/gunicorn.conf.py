"""gunicorn settings for the course app: `gunicorn -c deploy/gunicorn.conf.py 'course:create_app()'`.

Read from the environment (systemd's EnvironmentFile, deploy/systemd/course.service):
  COURSE_BIND     where to listen: 127.0.0.1:8000 (Caddy on this machine) or a private address
  COURSE_WORKERS  worker processes (default: two per core, plus one)
  COURSE_THREADS  threads per worker (default 1)
Everything else the app reads itself (DATABASE_URL, SECRET_KEY, COURSE_*: README.md, docs/DEPLOY.md).
"""

from __future__ import annotations

import gc
import os

bind = [os.environ.get("COURSE_BIND", "127.0.0.1:8000")]

# Requests mostly wait on the database, so a few more workers than cores keep every core busy (gunicorn's
# own advice: two per core, plus one).
workers = int(os.environ.get("COURSE_WORKERS") or 2 * (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("COURSE_THREADS") or 1)
# The app reads the same number: with several workers it refuses to count sign-in limits in each worker's
# memory (course/config.py: check_shared_limits). `on_starting` checks the number gunicorn really runs, in
# case --workers was given on the command line.
os.environ["COURSE_WORKERS"] = str(workers)

# Load the app once in the master, then fork: a configuration error stops gunicorn with the app's one-line
# reason (instead of workers failing and being restarted forever), and the workers share the loaded code.
preload_app = True

# A request that takes longer than this is stuck: the worker is replaced. Exports are the slowest pages.
timeout = 60
graceful_timeout = 30
# Caddy keeps connections to the app open between requests.
keepalive = 5
# Each worker is replaced after about this many requests, so that no slow growth of memory accumulates;
# the jitter keeps them from restarting together.
max_requests = 5000
max_requests_jitter = 500

# The app decides which proxies to believe (COURSE_TRUSTED_PROXIES, werkzeug's ProxyFix), so gunicorn takes
# the scheme from no one's X-Forwarded-Proto.
forwarded_allow_ips = ""

# No control socket: the number of workers is fixed here, where the app can check it.
control_socket_disable = True

# The app writes one JSON line per request with the route's pattern instead of the path, and never a query
# string (course/logs.py). gunicorn's own access log would write paths, which carry one-time tokens
# (invites, password resets, unsubscribe links), so it stays off.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("COURSE_LOG_LEVEL", "info").lower()
# gunicorn's own lines (starting, workers, timeouts) as JSON too, like the app's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "WARNING", "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["json"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": ["json"], "propagate": False},
    },
    "handlers": {
        "json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    },
    "formatters": {"json": {"()": "course.logs.JsonFormatter"}},
}


def on_starting(server):
    """Refuse to start when gunicorn runs more workers than the app was told, with memory:// limits."""
    from course.config import check_shared_limits

    check_shared_limits(server.app.wsgi(), server.cfg.workers)


def pre_fork(server, worker):
    """Freeze everything loaded so far, just before each worker is forked.

    The app, its content catalog and the libraries are loaded once in the master and live as long as the
    process. Frozen, they are left out of the garbage collector's full collections in the workers: those
    collections no longer pause a worker to walk them, and no longer touch (and so copy) the pages the
    workers share with the master. Python's documentation of gc.freeze() recommends calling it before fork.
    """
    gc.freeze()
