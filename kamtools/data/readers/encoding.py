"""Text encodings: the mixed UTF-8/Windows-1252 codec, gzip, UTF-16 without BOM, the first bytes of a file."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

from kamtools.data.readers.base import problem
from kamtools.data.validation import Problem

MIXED_ENCODING = "kamtools-utf8-cp1252"
"""UTF-8 where the bytes are UTF-8, Windows-1252 (else Latin-1) where they are not: for files
that mix both (a UTF-8 export with lines pasted from an old system)."""


def _legacy_bytes(err: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as Windows-1252 (Latin-1 for its gaps)."""
    if not isinstance(err, UnicodeDecodeError):
        raise err
    chunk = err.object[err.start : err.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in chunk), err.end


def _find_mixed_codec(name: str) -> codecs.CodecInfo | None:
    if name.replace("_", "-") != MIXED_ENCODING:
        return None
    utf8 = codecs.lookup("utf-8")

    class Decoder(codecs.BufferedIncrementalDecoder):
        def _buffer_decode(self, data, errors, final):  # type: ignore[no-untyped-def]
            return codecs.utf_8_decode(data, "kamtools-legacy-bytes", final)

    return codecs.CodecInfo(
        name=MIXED_ENCODING,
        encode=utf8.encode,
        decode=lambda data, errors="strict": codecs.utf_8_decode(data, "kamtools-legacy-bytes", True),
        incrementalencoder=utf8.incrementalencoder,
        incrementaldecoder=Decoder,
        streamreader=utf8.streamreader,
        streamwriter=utf8.streamwriter,
    )


codecs.register_error("kamtools-legacy-bytes", _legacy_bytes)
codecs.register(_find_mixed_codec)


def legacy_lines(path: Path, compression: str | None) -> list[int]:
    """The lines that are not UTF-8 when other lines hold UTF-8 text beyond ASCII (a mixed file); else []."""
    opener = gzip.open if compression == "gzip" else open
    legacy: list[int] = []
    utf8 = False
    with opener(path, "rb") as fh:
        for i, line in enumerate(fh, start=1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                utf8 = True
            except UnicodeDecodeError:
                legacy.append(i)
    return legacy if utf8 else []


# ---- sources ---------------------------------------------------------------------------------


def head_bytes(path: Path, n: int = 65536) -> tuple[bytes, str | None, Problem | None]:
    """(the first ``n`` bytes, uncompressed; "gzip" or None; a problem when the file cannot be read)."""

    def fail(message: str, hint: str) -> tuple[bytes, None, Problem]:
        return b"", None, problem("", path.name, message, hint, "unreadable")

    try:
        with open(path, "rb") as fh:
            head = fh.read(n)
    except OSError as exc:
        return fail(f"{path.name} cannot be opened ({exc}).", "Check the file's permissions.")
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as fh:
                return fh.read(n), "gzip", None
        except (OSError, EOFError) as exc:
            return fail(f"{path.name} is a damaged gzip file ({exc}).", "Compress the CSV again.")
    if path.name.lower().endswith(".gz"):
        return fail(
            f"{path.name} is named .gz but is not gzip-compressed.", "Rename it to .csv or compress it with gzip."
        )
    return head, None, None


def utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' for UTF-16 text without a byte order mark, else None."""
    half = len(sample) // 2
    if half < 8:
        return None
    even, odd = sample[0 : 2 * half : 2], sample[1 : 2 * half : 2]
    if odd.count(0) > 0.6 * half and even.count(0) < 0.1 * half:
        return "utf-16-le"
    if even.count(0) > 0.6 * half and odd.count(0) < 0.1 * half:
        return "utf-16-be"
    return None


def decode_head(head: bytes, encoding: str) -> str:
    """The first bytes as text (for finding the header), tolerating a character cut at the end."""
    if encoding.startswith("utf-16"):
        return head[: len(head) // 2 * 2].decode(encoding, errors="replace").lstrip("\ufeff")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = head[: exc.start].decode("utf-8") if exc.start >= len(head) - 3 else head.decode("cp1252", "replace")
    return text.lstrip("\ufeff")
