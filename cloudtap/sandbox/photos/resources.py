"""The resource prefixes of CPLMaster/CPLAsset records and what each one holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The order is part of the download-token format (a prefix travels as its index).
PREFIXES: tuple[str, ...] = (
    "resOriginal",
    "resOriginalAlt",  # RAW+JPEG partner
    "resOriginalVidCompl",  # live-photo MOV
    "resJPEGFull",  # edited render (on the asset)
    "resJPEGLarge",
    "resJPEGMed",
    "resJPEGThumb",
    "resVidFull",
    "resVidMed",
    "resVidSmall",
    "resSidecar",
    # An edited asset's own renditions: fields resJPEGMed* / resJPEGThumb* on the CPLAsset,
    # beside the master's of the same name (see ResourceSpec.field).
    "resJPEGMed" + "Edited",
    "resJPEGThumb" + "Edited",
)
EDITED = "Edited"  # the suffix telling an asset's rendition from the master's in PREFIXES

MediaFormat = Literal["jpeg", "png", "heic", "mov", "dng"]

UTI: dict[MediaFormat, str] = {
    "jpeg": "public.jpeg",
    "png": "public.png",
    "heic": "public.heic",
    "mov": "com.apple.quicktime-movie",
    "dng": "com.adobe.raw-image",
}


@dataclass(frozen=True)
class ResourceSpec:
    """One downloadable file of an asset: what it is and its exact advertised size."""

    prefix: str
    media: MediaFormat
    width: int
    height: int
    size: int
    on_asset: bool = False  # edited renders live on the CPLAsset, not the master

    @property
    def field(self) -> str:
        """The record fields' prefix (``prefix`` names the file, unique within an asset)."""
        return self.prefix.removesuffix(EDITED)

    @property
    def code(self) -> int:
        return PREFIXES.index(self.prefix)

    @property
    def uti(self) -> str:
        return UTI[self.media]
