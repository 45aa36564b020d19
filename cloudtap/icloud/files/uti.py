"""Apple's Uniform Type Identifiers (a photo's ``itemType``, a resource's ``…FileType``, a
note attachment's UTI) as a file extension and a kind of content."""

from __future__ import annotations

# Uniform type identifiers -> (file extension, data_type).
_UTI = {
    "public.jpeg": ("jpg", "image"),
    "public.heic": ("heic", "image"),
    "public.heif": ("heif", "image"),
    "public.png": ("png", "image"),
    "public.tiff": ("tiff", "image"),
    "com.compuserve.gif": ("gif", "image"),
    "org.webmproject.webp": ("webp", "image"),
    "com.adobe.raw-image": ("dng", "image"),
    "com.canon.cr2-raw-image": ("cr2", "image"),
    "com.canon.cr3-raw-image": ("cr3", "image"),
    "com.canon.crw-raw-image": ("crw", "image"),
    "com.nikon.raw-image": ("nef", "image"),
    "com.nikon.nrw-raw-image": ("nrw", "image"),
    "com.sony.arw-raw-image": ("arw", "image"),
    "com.fuji.raw-image": ("raf", "image"),
    "com.olympus.raw-image": ("orf", "image"),
    "com.olympus.or-raw-image": ("orf", "image"),
    "com.panasonic.rw2-raw-image": ("rw2", "image"),
    "com.apple.quicktime-movie": ("mov", "video"),
    "public.mpeg-4": ("mp4", "video"),
    "public.avi": ("avi", "video"),
    "public.mpeg-4-audio": ("m4a", "audio"),
    "com.apple.m4a-audio": ("m4a", "audio"),
    "public.mp3": ("mp3", "audio"),
}


def uti_extension(uti: str | None) -> tuple[str, str]:
    if uti and uti in _UTI:
        return _UTI[uti]
    if uti and ("movie" in uti or "video" in uti):
        return "mov", "video"
    if uti and "raw" in uti:
        return "raw", "image"
    return "bin", "image"
