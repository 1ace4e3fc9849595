"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py massageclinic.wsgi`.

The access log records the path without its query string (`%(U)s`, not `%(r)s` or
`%(q)s`): a search for a client's name or a health term typed into a GET form must
not end up in the web server's log, which is kept and read outside the audit trail.
"""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
accesslog = "-"
# Address, time, method, path (no query string), status, size, duration in ms.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

# Load the app once in the master and freeze what it built before the workers fork:
# they share those objects, and the garbage collector's full passes no longer rescan
# them on every request (on the day view those passes were p95 spikes of 100 ms and
# more; see docs/benchmarks.md).
preload_app = True


def when_ready(server):
    gc.collect()
    gc.freeze()
