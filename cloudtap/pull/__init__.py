"""``cloudtap pull``: a person's whole iCloud in open formats, kept in sync.

A client of cloudtap's own HTTP API (a running server, or the embedded default the CLI
starts in-process): it never talks to Apple itself. ``client`` speaks the API,
``login`` drives the password/2FA prompts, ``runner`` lists, downloads and exports,
``manifest`` remembers what is on disk, ``exporters`` write the open formats.
"""
