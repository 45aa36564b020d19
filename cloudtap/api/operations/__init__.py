"""The operator's endpoints that belong with the API: ``/healthz``, ``/readyz`` and
``/metrics`` (with the gauges read from the database and the queue at scrape time), and
the middleware that gives every request its id, log line and metrics. The primitives they
use (logs, the metrics registry) stay in ``cloudtap.ops``, which anyone may import."""
