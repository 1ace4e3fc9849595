"""Uploaded clinical documents: scanned prescriptions, physician clearances.

A document is accepted when its content (the first bytes, not its name or the type the
browser claims) is a PDF, PNG or JPEG, and it is no larger than MAX_UPLOAD_BYTES. It
is stored under a random name, so nothing a person typed reaches the disk path, and it
is served only through a view that checks access (there is no MEDIA_URL route);
`document_response` builds that response.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from typing import IO

from django import forms
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

# The largest document accepted, in bytes. A setting-like constant: tests and a
# deployment with bigger scans may patch it; the messages follow it.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

ALLOWED_DESCRIPTION = "a PDF, PNG or JPEG file"


@dataclass(frozen=True)
class DocumentKind:
    label: str
    content_type: str
    extension: str
    signature: bytes


KINDS = (
    DocumentKind("PDF", "application/pdf", ".pdf", b"%PDF-"),
    DocumentKind("PNG", "image/png", ".png", b"\x89PNG\r\n\x1a\n"),
    DocumentKind("JPEG", "image/jpeg", ".jpg", b"\xff\xd8\xff"),
)
_SNIFF_BYTES = max(len(kind.signature) for kind in KINDS)
UPLOAD_ACCEPT = ",".join(
    sorted({kind.content_type for kind in KINDS} | {".pdf", ".png", ".jpg", ".jpeg"})
)


def _megabytes(size: int) -> str:
    """A size for a person; rounded up, so a file just over the limit never reads as
    equal to it."""
    if size < 1024 * 1024:
        return f"{math.ceil(size / 1024)} KB"
    tenths = math.ceil(size * 10 / (1024 * 1024)) / 10
    return f"{tenths:.1f}".removesuffix(".0") + " MB"


def sniff(file: IO[bytes] | File) -> DocumentKind | None:
    """The kind of document the content is, or None; leaves the file at its start."""
    file.seek(0)
    head = file.read(_SNIFF_BYTES)
    file.seek(0)
    if isinstance(head, str):  # a file opened in text mode is not a document
        return None
    return next((kind for kind in KINDS if head.startswith(kind.signature)), None)


def validate_upload(file: File) -> DocumentKind:
    """Check the size and the content of an uploaded document; return its kind."""
    size = file.size or 0
    if size == 0:
        raise ValidationError(
            "The file is empty. Choose the scanned document again.", code="empty"
        )
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            "The file is %(size)s; the largest accepted is %(limit)s. Scan at a lower "
            "resolution or split the document, then choose it again.",
            code="too_large",
            params={"size": _megabytes(size), "limit": _megabytes(MAX_UPLOAD_BYTES)},
        )
    kind = sniff(file)
    if kind is None:
        raise ValidationError(
            "This file is not a PDF, PNG or JPEG (its content was checked, whatever "
            "its name says). Only PDF, PNG or JPEG files are accepted, up to %(limit)s.",
            code="wrong_type",
            params={"limit": _megabytes(MAX_UPLOAD_BYTES)},
        )
    return kind


def rename_for_storage(file: File, kind: DocumentKind) -> File:
    """Give the upload a random name with the extension of its real kind."""
    file.name = f"{uuid.uuid4().hex}{kind.extension}"
    return file


class DocumentField(forms.FileField):
    """A form field for a scanned document: PDF, PNG or JPEG, checked by content."""

    widget = forms.FileInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault(
            "help_text",
            f"{ALLOWED_DESCRIPTION[0].upper()}{ALLOWED_DESCRIPTION[1:]}, "
            f"up to {_megabytes(MAX_UPLOAD_BYTES)}.",
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", UPLOAD_ACCEPT)

    def clean(self, data, initial=None):
        file = super().clean(data, initial)
        # Only a new upload is checked; `initial` is the document already stored.
        if file and file is not initial:
            validate_upload(file)
        return file


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(stem: str, kind: DocumentKind | None) -> str:
    """An ASCII file name for the Content-Disposition header."""
    clean = _UNSAFE.sub("-", stem).strip("-.") or "document"
    return clean[:80] + (kind.extension if kind else ".bin")


def document_response(field_file: FieldFile, *, filename_stem: str) -> FileResponse:
    """Serve a stored document inline, typed by its content, never sniffed."""
    if not field_file:
        raise Http404("There is no document on file.")
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as missing:
        raise Http404("The document is missing from storage.") from missing
    kind = sniff(handle)
    if kind is None:
        # Stored some other way (e.g. the admin) and not a document we accept: let the
        # browser save it rather than render it.
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=safe_filename(filename_stem, None),
            content_type="application/octet-stream",
        )
    else:
        response = FileResponse(
            handle,
            as_attachment=False,
            filename=safe_filename(filename_stem, kind),
            content_type=kind.content_type,
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
