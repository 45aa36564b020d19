"""cloudtap.icloud: our own client of Apple's iCloud web services.

A library of its own (no API, database or queue): credentials or saved session state
in; typed items and file byte streams out. Start at ``client/connector.py``
(``ICloudConnector``); ``docs/icloud-client.md`` maps the rest.
"""
