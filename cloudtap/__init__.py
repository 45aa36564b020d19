"""cloudtap: a self-hostable iCloud data API, wire-compatible with ricloud API v3."""

__version__ = "0.1.0"
