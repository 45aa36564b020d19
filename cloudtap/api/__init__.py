"""The HTTP API, wire-compatible with ricloud v3: authentication, scopes, limits and one
module per resource under ``resources/``. It never talks to Apple: slow work is a job."""
