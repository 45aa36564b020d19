"""The sandbox: a fake Apple on Apple's own host names, behind a TLS proxy with its own CA.

It knows nothing of the rest of cloudtap. ``runtime`` starts it (in ``serve``, or alone
with ``cloudtap sandbox serve``); ``world`` holds its accounts and their data, the ground
truth the tests compare cloudtap's output with.
"""
