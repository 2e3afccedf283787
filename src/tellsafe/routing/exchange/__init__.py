"""Exchange with other hotlines, NCMEC and hosts in standard formats (docs/exchange.md).

Formats, each a module: ``ncmec`` (CyberTipline report and file details XML), ``xarf``
(XARF v4 content notices, JSON), ``iccam`` (ICCAM fields and codes, JSON and CSV). Each
writes what ``services.export_case`` asks of it and reads what ``importer`` is given,
checked against our own schemas in ``schemas/``. Destinations that send documents are
plugins with a stable name, listed by ``destinations()``.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def destinations() -> dict[str, Any]:
    """Destination plugins by their stable name; names are checked to be unique."""
    from tellsafe.routing.exchange.ncmec_transport import NcmecDestination

    plugins = [NcmecDestination]
    names = [p.name for p in plugins]
    if len(set(names)) != len(names) or not all(names):
        raise RuntimeError(f"exchange destination names must be unique and non-empty: {names}")
    return {p.name: p for p in plugins}
