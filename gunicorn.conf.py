"""gunicorn settings for SILABU (override with GUNICORN_CMD_ARGS or flags)."""
import multiprocessing
import os

bind = os.environ.get("SILABU_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("SILABU_WORKERS", max(2, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("SILABU_THREADS", 2))
worker_class = os.environ.get("SILABU_WORKER_CLASS", "gthread")
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


def post_worker_init(worker):
    """Compile templates, fill the holiday cache and open a connection before the first request."""
    from silabu.core.warmup import warm_up

    if not hasattr(worker.wsgi, "jinja_env"):  # the app failed to load: gunicorn serves its error app
        return
    timings = warm_up(worker.wsgi)
    worker.log.info("warm-up: %s", ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()))
