"""A CloudKit web-services emulation (``ckdatabasews``) with pluggable containers."""
