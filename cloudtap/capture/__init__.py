"""``cloudtap capture``: a redacted record of one's own Apple traffic, replayable in the
sandbox (docs/capture.md). Raw exchanges come from ``cloudtap.icloud.recorder``; nothing
raw is ever written: ``redact`` replaces, ``scan`` refuses, ``cassette`` writes."""
