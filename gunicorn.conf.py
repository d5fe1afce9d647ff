"""gunicorn settings for SILABU (override with GUNICORN_CMD_ARGS or flags)."""
import multiprocessing
import os

bind = os.environ.get("SILABU_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("SILABU_WORKERS", max(2, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("SILABU_THREADS", 2))
worker_class = "gthread"
timeout = 120  # packet builds and large uploads on slow links
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("SILABU_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# Request bodies are never logged; form fields (passwords) do not appear in the access log format.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'


def post_worker_init(worker):  # noqa: ANN001, ANN201
    """Warm what every worker computes once (the holiday calendar) before it takes its first request."""
    from datetime import date

    from silabu.catalog.calendar import national_holidays

    year = date.today().year
    for y in (year - 1, year, year + 1):
        national_holidays(y)
