"""``bench/run``: every benchmark scenario, cloudtap against its peers, in one run."""
