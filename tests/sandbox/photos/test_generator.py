"""The generated library: pure, ordered, invertible names, realistic mix of kinds."""

from __future__ import annotations

import itertools

from cloudtap.sandbox.photos import generator


def test_asset_is_a_pure_function_of_seed_and_index() -> None:
    generator.asset.cache_clear()
    first = generator.asset(5, "PrimarySync", 1234)
    generator.asset.cache_clear()
    assert generator.asset(5, "PrimarySync", 1234) == first
    assert generator.asset(6, "PrimarySync", 1234) != first


def test_dates_strictly_decrease_with_index() -> None:
    dates = [generator.asset(3, "PrimarySync", i).asset_date_ms for i in range(500)]
    assert all(a > b for a, b in itertools.pairwise(dates))


def test_record_names_are_unique_and_invertible() -> None:
    names = set()
    for i in (0, 1, 19, 20, 99_999, 123_456):
        spec = generator.asset(9, "PrimarySync", i)
        assert generator.index_of_name(9, "PrimarySync", spec.master_name) == i
        assert generator.index_of_name(9, "PrimarySync", spec.asset_name) == i
        assert len(spec.master_name) == 28
        names |= {spec.master_name, spec.asset_name}
    assert len(names) == 12
    assert generator.index_of_name(9, "PrimarySync", "not-a-name") is None
    assert (
        generator.index_of_name(10, "PrimarySync", generator.master_name(9, "PrimarySync", 4))
        is None
    )


def test_one_period_has_every_kind_and_its_resources() -> None:
    specs = [generator.asset(2, "PrimarySync", i) for i in range(generator.PERIOD)]
    kinds = {s.kind for s in specs}
    assert kinds == {"jpeg", "heic", "live", "raw", "video", "screenshot", "edited"}
    for spec in specs:
        prefixes = {r.prefix for r in spec.resources}
        assert {"resOriginal", "resJPEGThumb"} <= prefixes
        assert ("resOriginalVidCompl" in prefixes) == (spec.kind == "live")
        assert ("resOriginalAlt" in prefixes) == (spec.kind == "raw")
        assert ("resJPEGFull" in prefixes) == (spec.kind == "edited")
        assert spec.filename.startswith("IMG_")
    assert any(s.favorite for s in specs) and any(s.hidden for s in specs)
