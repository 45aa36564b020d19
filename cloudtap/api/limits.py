"""Size limits on what a client may send; generous next to anything a real client needs.

A request body is capped as a whole (``Settings.max_body_bytes``, 1 MiB by default), and
inside it each name, identifier and list has its own cap, so that no single field can
make every later read of an object (or every event copying it) megabytes long.
"""

from __future__ import annotations

# Organisation names (the column holds 200 characters).
MAX_NAME_LENGTH = 200
# User identifiers (ricloud leaves them free-form: e-mail addresses, UUIDs, ...).
MAX_IDENTIFIER_LENGTH = 500
# Object ids a request refers to (ours are 36-character UUIDs).
MAX_ID_LENGTH = 64
# One info type or data type id, e.g. "icloud.account.data_types".
MAX_TYPE_LENGTH = 100
# One file id, e.g. "icpl://<record name>/<field>" (record names stay well under 1 KiB).
MAX_FILE_ID_LENGTH = 2048
# Entries per poll list: a handful of types exist; "*" asks for all of them.
MAX_LIST_ITEMS = {"info_types": 100, "data_types": 100, "files": 1000}
# Poll payload keys cloudtap does not know are kept (and copied into the poll's events),
# but only this much of them, as compact JSON.
MAX_EXTRA_PAYLOAD_BYTES = 16 * 1024
# An organisation's free-form ``config``, as compact JSON, after an update is merged in.
MAX_CONFIG_BYTES = 16 * 1024
# JSON nesting: our deepest request (poll payload filters) is 3 levels deep.
MAX_JSON_DEPTH = 32
