"""gunicorn settings, read automatically by `gunicorn app:app` from the project root.

Every value can be overridden by gunicorn's own GUNICORN_CMD_ARGS or flags.
"""
import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Heroku's convention: WEB_CONCURRENCY workers; default one per core, at least two.
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, multiprocessing.cpu_count()))
worker_class = "sync"
# A request that takes longer than this is killed (so a stuck request cannot hold a
# worker forever); IdPs wait 60 s at most.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Bounded request line and headers: a slow or hostile client cannot send unbounded ones.
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-" if os.environ.get("ACCESS_LOG", "0") == "1" else None
