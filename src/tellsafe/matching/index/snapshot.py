"""Snapshot file of a ``PdqIndex``: the segments' arrays, ready to use without a rebuild.

Layout (all little-endian)::

    b"TSPDQIX1"                 8 bytes, magic and format version
    header length               uint64
    header                      UTF-8 JSON: per segment, its layout and, per array,
                                offset / dtype / shape / crc32
    arrays                      each starting on a 4096-byte boundary

Page-aligned raw arrays mean a load is either one ``readinto`` per array (into fresh
numpy memory, which gets huge pages) or one ``mmap`` (no copy; pages shared between
worker processes). The tables are stored, so loading never rebuilds anything.
"""

from __future__ import annotations

import json
import mmap as mmap_module
import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from tellsafe.matching.index.segment import Layout, Segment

MAGIC = b"TSPDQIX1"
_ALIGN = 4096
_ARRAYS = ("words", "ids", "alive", "table", "postings")


class SnapshotError(ValueError):
    """The file is not a snapshot this code can read, or it is damaged."""


def _raw(arr: np.ndarray) -> memoryview:
    # The bytes of a C-contiguous array as a flat buffer (zero-size arrays included).
    return arr.reshape(-1).view(np.uint8).data


def _aligned(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def write(path: str | Path, segments: list[Segment]) -> None:
    """Write ``segments`` to ``path`` atomically (temporary file, fsync, rename)."""
    path = Path(path)
    meta: list[dict[str, Any]] = []
    blobs: list[np.ndarray] = []
    for seg in segments:
        arrays: dict[str, Any] = {}
        for name in _ARRAYS:
            arr = getattr(seg, name)
            if arr is None:
                continue
            arr = np.ascontiguousarray(arr)
            arrays[name] = {
                "dtype": arr.dtype.str,
                "shape": list(arr.shape),
                "crc32": zlib.crc32(_raw(arr)),
            }
            blobs.append(arr)
        layout = seg.layout
        meta.append(
            {
                "layout": None
                if layout is None
                else {
                    "widths": list(layout.widths),
                    "pbits": layout.pbits,
                    "row_bits": layout.row_bits,
                    "always_probe": layout.always_probe,
                },
                "arrays": arrays,
            }
        )
    # Offsets depend on the header's length, which depends on the offsets: reserve room
    # by sizing the header with placeholder offsets of the final width.
    at = _ALIGN
    for _ in range(2):
        offset = at
        for seg_meta in meta:
            for spec in seg_meta["arrays"].values():
                nbytes = int(np.prod(spec["shape"])) * np.dtype(spec["dtype"]).itemsize
                spec["offset"] = offset
                offset = _aligned(offset + nbytes)
        header = json.dumps({"format": 1, "segments": meta}).encode()
        at = _aligned(len(MAGIC) + 8 + len(header))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(MAGIC)
        f.write(len(header).to_bytes(8, "little"))
        f.write(header)
        for blob, spec in zip(blobs, _specs(meta), strict=True):
            f.seek(spec["offset"])
            f.write(_raw(blob))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _specs(meta: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [spec for seg_meta in meta for spec in seg_meta["arrays"].values()]


def read(path: str | Path, *, mmap: bool = False, verify: bool = False) -> list[Segment]:
    """Segments stored in ``path``. ``verify`` checks every array's CRC (slower)."""
    with open(path, "rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise SnapshotError(f"{path}: not a PDQ index snapshot")
        size = int.from_bytes(f.read(8), "little")
        try:
            header = json.loads(f.read(size))
        except ValueError as exc:
            raise SnapshotError(f"{path}: damaged header") from exc
        if header.get("format") != 1:
            raise SnapshotError(f"{path}: unsupported format {header.get('format')}")
        file_size = os.fstat(f.fileno()).st_size
        mapped = None
        if mmap:
            # A private mapping: arrays are writable numpy arrays for the kernels, and
            # pages stay shared with other processes until something writes them.
            flags = mmap_module.MAP_PRIVATE | getattr(mmap_module, "MAP_POPULATE", 0)
            mapped = mmap_module.mmap(
                f.fileno(),
                0,
                flags=flags,
                prot=mmap_module.PROT_READ | mmap_module.PROT_WRITE,
            )
        segments = []
        for seg_meta in header["segments"]:
            arrays: dict[str, np.ndarray] = {}
            for name, spec in seg_meta["arrays"].items():
                dtype = np.dtype(spec["dtype"])
                shape = tuple(spec["shape"])
                count = int(np.prod(shape))
                if count and spec["offset"] + count * dtype.itemsize > file_size:
                    raise SnapshotError(f"{path}: truncated")
                if mapped is not None and name != "alive" and count:
                    arr = np.frombuffer(mapped, dtype, count, spec["offset"]).reshape(shape)
                else:
                    arr = np.empty(shape, dtype)
                    f.seek(spec["offset"])
                    if f.readinto(_raw(arr)) != arr.nbytes:
                        raise SnapshotError(f"{path}: truncated")
                if verify and zlib.crc32(_raw(arr)) != spec["crc32"]:
                    raise SnapshotError(f"{path}: checksum mismatch in {name}")
                arrays[name] = arr
            lay = seg_meta["layout"]
            layout = (
                None
                if lay is None
                else Layout(
                    tuple(lay["widths"]),
                    int(lay["pbits"]),
                    int(lay["row_bits"]),
                    bool(lay.get("always_probe", False)),
                )
            )
            segments.append(
                Segment(
                    arrays["words"],
                    arrays["ids"],
                    arrays["alive"],
                    layout,
                    arrays.get("table"),
                    arrays.get("postings"),
                )
            )
    return segments
