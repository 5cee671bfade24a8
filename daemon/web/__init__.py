"""The status page: a listener of job events, served by the daemon beside the scheduler.

server.py   uvicorn in a thread, started and stopped by app.Daemon
app.py      the Starlette app: pages, /api/jobs, /metrics, /healthz
security.py Host check, CSRF, password, CSP (pure)
thumbs.py   one small JPEG per source and output, made when a job ends
metrics.py  Prometheus text from job counts and event counters
joblog.py   the last log lines of each job, kept in memory
"""
