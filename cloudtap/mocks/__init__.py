"""``mocks.mock``: the test source ricloud-py's own integration test logs into.

A source service with no network behind it, for sandbox keys only: any non-empty
password opens a session, and polls answer fixed, made-up items.
"""
