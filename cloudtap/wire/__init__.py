"""The wire schema: resources as ricloud v3 JSON, shared by API responses and event
payloads. Below both ``cloudtap.api`` and ``cloudtap.jobs``; it reads rows, never a
request: anything request-bound (a result's signed link) is passed in."""
