"""Reading uploaded files a piece at a time (HSDS packages, calls-for-service CSV).

An upload is never read whole into memory: files are opened again as streams (a zip member, the
spooled upload, a file on disk), counted byte by byte against a cap, decoded incrementally and
parsed row by row.  What cannot be read is refused with a message a person understands:
UploadTooLarge (HTTP 413) over a cap, UploadRefused (HTTP 400) when damaged or not a table.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from flask_babel import gettext as _

from fieldapp import formats

# A physical CSV line longer than this is no table a person wrote (a value may be up to the csv
# module's field limit, 128 KB, so this is well above it).
LINE_LIMIT = 1024 * 1024
CHUNK = 64 * 1024
# Zip members that are damaged, truncated or lie about their size raise these while read.
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError)

Opener = Callable[[], BinaryIO]


class UploadRefused(ValueError):
    """The upload cannot be read (damaged, not a table); nothing was written."""

    status = 400


class UploadTooLarge(UploadRefused):
    """The upload is over a configured cap; nothing was written."""

    status = 413


def size_text(limit: int) -> str:
    if limit >= 1024 * 1024:
        return _("%(n)s MB", n=formats.count(limit // (1024 * 1024)))
    return _("%(n)s KB", n=formats.count(max(1, limit // 1024)))


def too_many_rows(name: str, limit: int) -> UploadTooLarge:
    return UploadTooLarge(_("%(name)s has more than %(n)s rows, the most one upload may hold. "
                            "Split it into smaller files.", name=name, n=limit))


class ByteBudget:
    """Bytes an upload may unpack to, all its files together (counted as they are read)."""

    def __init__(self, limit: int, name: str):
        self.limit = limit
        self.name = name
        self.used = 0

    def check_declared(self, size: int) -> None:
        """Refuse early when the sizes a zip declares are already over the cap."""
        if self.used + size > self.limit:
            raise self.refusal()

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise self.refusal()

    def refusal(self) -> UploadTooLarge:
        return UploadTooLarge(_("%(name)s unpacks to more than %(size)s, the most one upload may "
                                "hold. Split it into smaller packages.",
                                name=self.name, size=size_text(self.limit)))


class RowBudget:
    """Rows an upload may hold, all its files together."""

    def __init__(self, limit: int | None, name: str):
        self.limit = limit
        self.name = name
        self.used = 0

    def spend(self, n: int = 1) -> None:
        self.used += n
        if self.limit is not None and self.used > self.limit:
            raise too_many_rows(self.name, self.limit)


def damaged(name: str, error: Exception) -> UploadRefused:
    return UploadRefused(_("%(name)s is damaged and cannot be unpacked (%(error)s). Make the "
                           "zip again and upload it again.", name=name, error=str(error)[:120]))


class _Counted(io.RawIOBase):
    """A binary stream whose bytes are charged to a ByteBudget as they are read."""

    def __init__(self, inner: BinaryIO, budget: ByteBudget | None, name: str):
        super().__init__()
        self._inner = inner
        self._budget = budget
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._inner.read(len(buffer))
        except DAMAGED as error:
            raise damaged(self._name, error) from None
        if self._budget is not None:
            self._budget.spend(len(data))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()


class _Unclosed:
    """An upload's spooled file, read from the start, that readers may 'close' freely."""

    def __init__(self, stream: BinaryIO):
        stream.seek(0)
        self._stream = stream

    def read(self, n: int = -1) -> bytes:
        return self._stream.read(n)

    def close(self) -> None:
        pass


def stream_opener(stream: BinaryIO) -> Opener:
    """An opener reading a seekable stream (an uploaded file) from its start, every time."""
    return lambda: _Unclosed(stream)


def open_binary(opener: Opener, name: str, budget: ByteBudget | None = None) -> BinaryIO:
    try:
        raw = opener()
    except DAMAGED as error:
        raise damaged(name, error) from None
    except (NotImplementedError, RuntimeError) as error:  # unknown compression, encrypted
        raise UploadRefused(_("%(name)s cannot be unpacked (%(error)s). Use a plain zip "
                              "without a password.", name=name, error=str(error)[:120])) from None
    return io.BufferedReader(_Counted(raw, budget, name), CHUNK)


def read_all(opener: Opener, name: str, budget: ByteBudget) -> bytes:
    """The whole of a small file (JSON), its bytes charged to `budget` as they come."""
    with open_binary(opener, name, budget) as binary:
        return binary.read()


def sniff_encoding(opener: Opener, name: str, budget: ByteBudget | None) -> str | None:
    """'utf-8-sig' or 'cp1252' if the whole file decodes so, else None.  Reads the file once
    (twice when it is not UTF-8) in chunks; the first read charges its bytes to `budget`."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open_binary(opener, name, budget) as binary:
                while chunk := binary.read(CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            budget = None  # the bytes were counted on the first reading
    return None


def open_text(opener: Opener, name: str, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(open_binary(opener, name), encoding=encoding, newline="")


def _lines(text: io.TextIOBase, name: str) -> Iterator[str]:
    number = 0
    while line := text.readline(LINE_LIMIT):
        number += 1
        if len(line) >= LINE_LIMIT and not line.endswith(("\n", "\r")):
            raise UploadRefused(_("%(name)s, line %(line)s: the line is longer than %(size)s; "
                                  "this is not a CSV table.", name=name, line=number,
                                  size=size_text(LINE_LIMIT)))
        yield line


# The longest value a CSV cell may hold.  The csv module's limit is one setting for the whole
# process, and libraries change it when imported (frictionless raises it to hundreds of MB), so
# every reader of an upload sets it again first.
FIELD_LIMIT = 128 * 1024


def csv_dicts(text: io.TextIOBase, name: str) -> csv.DictReader:
    """A DictReader over `text` that never holds more than one line; iterate it with
    `readable_csv(name)` around the loop."""
    csv.field_size_limit(FIELD_LIMIT)
    return csv.DictReader(_lines(text, name))


def csv_rows(text: io.TextIOBase, name: str) -> Iterator[list[str]]:
    """The rows of a CSV stream, one at a time; unreadable CSV raises UploadRefused."""
    csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(_lines(text, name))
    with readable_csv(name, reader):
        yield from reader


class readable_csv:  # noqa: N801  (used as a `with` statement)
    """Turns the csv module's errors into UploadRefused with the line where reading stopped."""

    def __init__(self, name: str, reader=None):
        self.name = name
        self.reader = reader

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _traceback):
        if kind is None or not issubclass(kind, csv.Error):
            return False
        # a DictReader updates its own line_num only after a row is read: ask its csv.reader
        line = getattr(getattr(self.reader, "reader", self.reader), "line_num", "?")
        if "field limit" in str(error):
            raise UploadRefused(_(
                "%(name)s, line %(line)s: a value is longer than %(size)s; this is not a CSV "
                "table (is a quote left open?).", name=self.name, line=line,
                size=size_text(FIELD_LIMIT))) from None
        raise UploadRefused(_("%(name)s, line %(line)s: not readable as CSV (%(error)s).",
                              name=self.name, line=line, error=str(error)[:120])) from None
