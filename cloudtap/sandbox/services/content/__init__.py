"""Deterministic, lazily generated account content behind ``ContentSpec``.

Item ``i`` of kind ``k`` is a pure function of ``(spec.seed, k, i)`` and of the sandbox's
day (content is spread over the past years and coming months relative to *today*), so a
listing can page through 50k items without holding them all in memory.
"""
