"""CTranslate2's `model.bin`, variable by variable, as raw bytes: read, and written back.

The layout: format version, spec name and revision (the header), then each variable (name, rank, dims,
dtype code, byte count, bytes), then aliases (name, target). Strings are a uint16 length and the bytes with a
trailing NUL.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Ct2Variable:
    name: str
    dims: tuple[int, ...]
    dtype: int  # CTranslate2's code: 0 float32, 1 int8, 2 int16, 3 int32, 4 float16, 5 bfloat16
    raw: bytes


@dataclass
class Ct2File:
    header: bytes  # format version, spec name, spec revision, as stored
    variables: list[Ct2Variable] = field(default_factory=list)
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (alias, target variable)


def read_ct2_file(path: Path) -> Ct2File:
    data = path.read_bytes()
    offset = 0

    def take(fmt: str) -> tuple[int, ...]:
        nonlocal offset
        values = struct.unpack_from(fmt, data, offset)
        offset += struct.calcsize(fmt)
        return values

    def string() -> str:
        nonlocal offset
        (length,) = take("<H")
        raw = data[offset : offset + length]
        offset += length
        return raw.rstrip(b"\0").decode()

    take("<I")  # format version
    string()  # spec name
    take("<I")  # spec revision
    model = Ct2File(data[:offset])
    (count,) = take("<I")
    for _ in range(count):
        name = string()
        (rank,) = take("<B")
        dims = take(f"<{rank}I")
        (dtype,) = take("<B")
        (nbytes,) = take("<I")
        model.variables.append(Ct2Variable(name, dims, dtype, data[offset : offset + nbytes]))
        offset += nbytes
    (count,) = take("<I")
    model.aliases = [(string(), string()) for _ in range(count)]
    return model


def _string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def write_ct2_file(path: Path, model: Ct2File) -> None:
    parts = [model.header, struct.pack("<I", len(model.variables))]
    for v in model.variables:
        parts += [_string(v.name), struct.pack("<B", len(v.dims)), struct.pack(f"<{len(v.dims)}I", *v.dims)]
        parts += [struct.pack("<B", v.dtype), struct.pack("<I", len(v.raw)), v.raw]
    parts.append(struct.pack("<I", len(model.aliases)))
    for alias, target in model.aliases:
        parts += [_string(alias), _string(target)]
    path.write_bytes(b"".join(parts))
