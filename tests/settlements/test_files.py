"""Evidence files without HTTP: the bytes must be of the declared type; names are kept as
given (any script) and served as attachments."""

import io
import zipfile

import pytest

from shared.settlements import files

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "
CSV = "日期,渠道,销售额\n2024-06-10,social_feed,35000\n".encode()


def xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("declared", "body"),
    [
        ("application/pdf", PDF),
        ("image/png", PNG),
        ("image/jpeg", JPEG),
        ("image/webp", WEBP),
        ("text/csv; charset=utf-8", CSV),
        (files.XLSX, xlsx()),
    ],
)
def test_each_type_is_taken_when_its_bytes_agree(declared, body):
    assert files.check_content(declared, body) == declared.split(";")[0]


@pytest.mark.parametrize(
    ("declared", "body", "code"),
    [
        ("text/csv", b"<!DOCTYPE html><script>alert(1)</script>", "type_mismatch"),
        ("text/csv", b"\xef\xbb\xbf<html><body>hi</body></html>", "type_mismatch"),
        ("image/png", PDF, "type_mismatch"),
        ("application/pdf", PNG, "type_mismatch"),
        ("text/csv", PDF, "type_mismatch"),
        (files.XLSX, docx(), "type_mismatch"),
        ("text/csv", b"\xff\xfeb\x00a\x00d\x00", "type_mismatch"),  # UTF-16: not UTF-8 text
        ("text/html", b"<html></html>", "unsupported_media_type"),
        ("application/zip", docx(), "unsupported_media_type"),
    ],
)
def test_a_type_we_do_not_take_or_bytes_of_another_type_are_refused(declared, body, code):
    with pytest.raises(files.UnsupportedFile) as refused:
        files.check_content(declared, body)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("name", "fine"),
    [
        ("发票-2024-0610.pdf", True),
        ("contract (signed).pdf", True),
        ("x.html", True),  # kept as a name; served as an attachment of the stored type
        ("../etc/passwd", False),
        ("a\\b.pdf", False),
        (" leading.pdf", False),
        ("line\nbreak.pdf", False),
        ("x" * 256, False),
    ],
)
def test_file_names(name, fine):
    assert (files.filename_problem(name) is None) is fine


def test_content_disposition_carries_the_name_in_utf8_with_an_ascii_fallback():
    header = files.content_disposition('发票 "A".pdf')
    assert header.startswith("attachment; ")
    assert 'filename="__ _A_.pdf"' in header
    assert "filename*=UTF-8''%E5%8F%91%E7%A5%A8%20%22A%22.pdf" in header


def test_repr_digest_is_the_sha256_in_base64():
    digest = files.checksum(b"hello")
    assert digest == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert files.repr_digest(digest) == "sha-256=:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=:"
