from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from tellsafe.taxonomy.selectors import categories

router = Router(tags=["taxonomy"])


class Mappings(Schema):
    ncmec: str
    iccam: str
    dsa: str
    xarf: str


class CategoryOut(Schema):
    code: str
    names: dict[str, str]
    description: str
    csea: bool
    mappings: Mappings


@router.get("", response=list[CategoryOut], summary="Harm categories")
def taxonomy(request: HttpRequest) -> list[dict]:
    """Every active harm category: its stable code, its name in each shipped language,
    whether it is within the hotline's remit (sexual exploitation and abuse), and its
    mappings to NCMEC, ICCAM, DSA and XARF codes."""
    return [
        {
            "code": c.code,
            "names": c.names,
            "description": c.description,
            "csea": c.csea,
            "mappings": {"ncmec": c.ncmec, "iccam": c.iccam, "dsa": c.dsa, "xarf": c.xarf},
        }
        for c in categories()
    ]
