"""Evidence files: which types are taken, what their bytes must look like, how they are
named when served. Pure (no database, no HTTP).

A file's declared type must agree with its bytes: each type is recognised by its magic
number (a CSV by being UTF-8 text that is no markup), so an HTML page sent as `text/csv`
or a script sent as `image/png` is refused, and what is served is always the stored type,
as an attachment: a browser never renders an uploaded file as a page.
"""

import base64
import hashlib
import io
import unicodedata
import zipfile
from urllib.parse import quote

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # 10 MiB per file
MAX_FILENAME_LENGTH = 255

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALLOWED_TYPES = (PDF, PNG, JPEG, WEBP, CSV, XLSX)

_MARKUP_STARTS = (b"<", b"\xef\xbb\xbf<")


class UnsupportedFile(Exception):
    """The file's type is not taken, or its bytes are not of the type declared (415)."""

    def __init__(self, detail: str, *, code: str = "unsupported_media_type") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class FileTooLarge(Exception):
    """Over MAX_ATTACHMENT_BYTES (413)."""


def media_type_of(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_xlsx(body: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:  # reads the directory only
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def _is_csv(body: bytes) -> bool:
    """UTF-8 text, no NUL, not markup (an HTML or SVG document is no spreadsheet)."""
    if b"\x00" in body or body.lstrip().startswith(_MARKUP_STARTS):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return sniff(body, binary_only=True) is None


def sniff(body: bytes, *, binary_only: bool = False) -> str | None:
    """The type the bytes' magic number says (None: no binary type of ours)."""
    if body.startswith(b"%PDF-"):
        return PDF
    if body.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if body.startswith(b"\xff\xd8\xff"):
        return JPEG
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return WEBP
    if body.startswith(b"PK\x03\x04"):
        return XLSX if _is_xlsx(body) else "application/zip"
    if binary_only:
        return None
    return CSV if _is_csv(body) else None


def check_content(declared: str, body: bytes) -> str:
    """The stored type: the declared one, once the bytes agree with it."""
    media_type = media_type_of(declared)
    if media_type not in ALLOWED_TYPES:
        raise UnsupportedFile(
            f"Files of type '{media_type or 'none'}' are not taken; send one of "
            f"{', '.join(ALLOWED_TYPES)}."
        )
    found = sniff(body)
    if found != media_type:
        what = f"look like {found}" if found else "match no type we take"
        raise UnsupportedFile(
            f"The file was sent as {media_type} but its bytes {what}. Send it with its real type.",
            code="type_mismatch",
        )
    return media_type


def filename_problem(name: str) -> str | None:
    """Why a file name cannot be kept (None: it can). Any script is fine (发票.pdf);
    paths, control characters and surrounding spaces are not."""
    if not name or name != name.strip():
        return "must not be empty or start or end with spaces"
    if len(name) > MAX_FILENAME_LENGTH:
        return f"must be at most {MAX_FILENAME_LENGTH} characters"
    if any(c in "/\\" for c in name) or name in (".", ".."):
        return "must be a file name, not a path"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        return "must not contain control characters"
    return None


def checksum(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the real name (RFC 6266, RFC 8187)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\%' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def repr_digest(sha256_hex: str) -> str:
    """The `Repr-Digest` header value (RFC 9530) for a SHA-256 given in hex."""
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256_hex)).decode()}:"
