"""Open an export, find its encoding, delimiter and format, and stream its rows.

The file is never read whole: a sample of ``SAMPLE_BYTES`` settles the
encoding, the header settles the delimiter and the format, and the rows are
then read one at a time through :class:`io.TextIOWrapper` and :mod:`csv`.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from .errors import ImportFileError, UnsupportedEncodingError

logger = logging.getLogger(__name__)

# Bytes read to choose the encoding. A file that is valid UTF-8 this far but not
# later is rejected when the bad line is reached.
SAMPLE_BYTES = 64 * 1024

DELIMITERS = (",", ";")
FALLBACK_ENCODING = "cp950"  # Big5 as Windows writes it, the usual zh-TW export

Source = str | os.PathLike[str] | BinaryIO


class _PrefixedReader(io.RawIOBase):
    """A raw stream that returns ``prefix`` and then the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            size = min(len(buffer), len(self._prefix))
            buffer[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data

        return len(data)


def open_binary(source: Source) -> tuple[BinaryIO, bool]:
    """Return a binary stream for ``source`` and whether the caller must close it."""
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), True

    return source, False


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """Return the codec for ``sample``: UTF-8 with or without BOM, else cp950.

    ``complete`` is true when the sample is the whole file. Then a multibyte
    character cut at its end is an error, not the edge of the sample.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnsupportedEncodingError(
            "The file is UTF-16 text, which this import does not read; save it "
            "as CSV UTF-8 (comma or semicolon delimited) and import it again."
        )

    for encoding in ("utf-8", FALLBACK_ENCODING):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return encoding

    raise UnsupportedEncodingError(
        "The file is neither UTF-8 nor Big5 text; save it as CSV UTF-8 and "
        "import it again."
    )


def detect_delimiter(header_line: str) -> str:
    """Return "," or ";", whichever occurs more often outside quotes in the header."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1

    return ";" if counts[";"] > counts[","] else ","


def open_text(source: Source) -> tuple[io.TextIOWrapper, str, str, BinaryIO | None]:
    """Open ``source`` as text and return it with its encoding and delimiter.

    The last item is the stream this function opened, which the caller closes,
    or None when the caller passed an open binary file.
    """
    binary, owned = open_binary(source)
    sample = binary.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample, complete=len(sample) < SAMPLE_BYTES)

    header_bytes = sample.split(b"\n", 1)[0]
    header_line = header_bytes.decode(encoding, errors="replace")
    delimiter = detect_delimiter(header_line)

    buffered = io.BufferedReader(_PrefixedReader(sample, binary))
    text = io.TextIOWrapper(buffered, encoding=encoding, newline="")
    logger.info("Reading CSV as %s with delimiter %r", encoding, delimiter)

    return text, encoding, delimiter, binary if owned else None


def read_rows(
    text: Iterable[str], delimiter: str, encoding: str
) -> Iterator[tuple[int, list[str]]]:
    """Yield each non-blank row with the physical line it starts on (header is 1).

    A quoted field may span lines, so a row's first line is one past the last
    line of the row before it.
    """
    reader = csv.reader(text, delimiter=delimiter)
    last_line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise UnsupportedEncodingError(
                f"The text after line {reader.line_num} is not valid {encoding}, "
                "although the start of the file is; save the file as CSV UTF-8 "
                "and import it again."
            ) from None
        except csv.Error as error:
            raise ImportFileError(
                f"The CSV cannot be read after line {last_line}: {error}. Check "
                "for a quote that is opened and never closed."
            ) from None
        first_line = last_line + 1
        last_line = reader.line_num
        if any(cell.strip() for cell in cells):
            yield first_line, cells


def normalise_column(name: str) -> str:
    """Return a header name as compared: stripped and case-folded."""
    return name.strip().casefold()


def describe_unknown_header(header: list[str], accepted: dict[str, str]) -> str:
    """Return the message for a header that matches no format."""
    found = ", ".join(repr(name) for name in header) or "none"
    formats = "; ".join(f"{name} ({hint})" for name, hint in accepted.items())
    return (
        f"The header matches no known export. Columns found: {found}. Accepted "
        f"formats and the columns that identify them: {formats}."
    )

