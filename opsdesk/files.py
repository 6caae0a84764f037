"""Serving stored files: a download, or an inline preview for the few types a browser shows safely.

Inline is offered only for images (PNG, JPEG, GIF, WebP) and PDFs, and the type is decided by the
file's first bytes, never by the uploader's name or Content-Type: an HTML or SVG file renamed
`photo.png` is still a download. Every inline answer carries `X-Content-Type-Options: nosniff` (the
browser may not guess another type) and a Content-Security-Policy with `sandbox` (a PDF's scripts
and forms, or anything an image viewer would run, get no origin and no script)."""

from __future__ import annotations

from typing import IO, Any

from django.http import FileResponse

PREVIEW_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "pdf"})
IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp"})
INLINE_IMAGE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
INLINE_PDF_CSP = "sandbox"


def sniff_preview_type(handle: IO[bytes]) -> str | None:
    """The previewable type of a file by its magic bytes (None: not one we show inline)."""
    head = handle.read(16)
    handle.seek(0)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def is_previewable(name: str) -> bool:
    """Worth a preview link (the response still checks the bytes)."""
    return extension(name) in PREVIEW_EXTENSIONS


def is_image(name: str) -> bool:
    return extension(name) in IMAGE_EXTENSIONS


def file_response(handle: IO[bytes], *, filename: str, content_type: str, inline: bool) -> FileResponse:
    """A download (Content-Disposition: attachment), or — when `inline` is asked and the bytes are an
    image or a PDF — an inline preview with the sniffed type, nosniff and a sandboxing CSP."""
    preview = sniff_preview_type(handle) if inline else None
    if preview is None:
        return FileResponse(handle, as_attachment=True, filename=filename,
                            content_type=content_type or "application/octet-stream")
    response = FileResponse(handle, as_attachment=False, filename=filename, content_type=preview)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = INLINE_PDF_CSP if preview == "application/pdf" else INLINE_IMAGE_CSP
    response["Cache-Control"] = "private, no-store"
    return response


def wants_inline(request: Any) -> bool:
    return request.GET.get("inline") == "1"
