"""The work done off the request path: logins, polls and their tasks, file batches,
webhook deliveries, subscriptions and the sweeper's recovery, run by huey workers.

A job loads a session's sealed Apple state, calls ``cloudtap.icloud``, streams items into
result files through ``cloudtap.publish`` and moves the rows in ``cloudtap.store``.
"""
