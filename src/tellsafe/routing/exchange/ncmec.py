"""CyberTipline documents: the ``<report>`` and the ``<fileDetails>`` of NCMEC's reporting
API, written in the API's element order and checked against our own XSDs
(``schemas/ncmec_report.xsd``, ``schemas/ncmec_filedetails.xsd``).

What a report says: the incident type and annotations the case's categories map to (the
taxonomy's ``ncmec`` column), when it first reached us, each URL as a web page incident
with where it was hosted, and who we are. What it never says: who reported to us or how
to reach them, the child's identity, or the narrative unless the analyst included it.

No imagery is held, so none is sent. Each file known by its hashes is described by a
``<fileDetails>`` of relevance "Supplemental Reported" whose ``originalFileHash`` values
are the reported file's hashes; the file uploaded for it is a short text record of those
hashes (``hash_record``). A supplemental file may carry neither an industry
classification nor the potentialMeme annotation (§1.4 of the API): ``build_file_details``
refuses that, and so does the XSD.

Offline (``tellsafe exchange export --format ncmec``) the report and its file details are
written together as an ``<ncmecBundle>``, whose file details have ``reportId`` 0 (not
submitted yet) and ``fileId`` ``local-N``; ``read`` accepts a bundle or a bare report.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, SubElement, tostring

from tellsafe.core.errors import ApplicationError
from tellsafe.routing.exchange import documents
from tellsafe.routing.exchange.model import (
    IMAGERY_CATEGORIES,
    CaseExport,
    CategoryInfo,
    Forward,
    ForwardItem,
    Hosting,
    Item,
)

CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
ENTICEMENT = "Online Enticement of Children for Sexual Acts"
INCIDENT_TYPES = (
    CHILD_PORNOGRAPHY,
    "Child Sex Trafficking",
    "Child Sex Tourism",
    "Child Sexual Molestation",
    "Misleading Domain Name",
    "Misleading Words or Digital Images on the Internet",
    ENTICEMENT,
    "Unsolicited Obscene Material Sent to a Child",
)
# The taxonomy shortens one incident type; read it as the full one.
_INCIDENT_ALIASES = {
    "Misleading Words or Digital Images": "Misleading Words or Digital Images on the Internet"
}
# A category whose mapping names no incident type reports as the nearest one.
_FALLBACK_INCIDENT = {
    **dict.fromkeys(IMAGERY_CATEGORIES, CHILD_PORNOGRAPHY),
    "sextortion": ENTICEMENT,
    "harmful_sexual_behaviour": ENTICEMENT,
    "sadistic_exploitation": ENTICEMENT,
}
REPORT_ANNOTATIONS = (
    "sextortion",
    "csamSolicitation",
    "minorToMinorInteraction",
    "spam",
    "sadisticOnlineExploitation",
    "informational",
)
FILE_ANNOTATIONS = (
    "animeDrawingVirtualHentai",
    "potentialMeme",
    "viral",
    "possibleSelfProduction",
    "physicalHarm",
    "violenceGore",
    "bestiality",
    "liveStreaming",
    "infant",
    "generativeAi",
)
# Assessment flags that are file annotations.
_FLAG_ANNOTATIONS = {
    "ai_generated": "generativeAi",
    "virtual": "animeDrawingVirtualHentai",
    "self_generated": "possibleSelfProduction",
    "live_streaming": "liveStreaming",
}
SUPPLEMENTAL = "Supplemental Reported"
REPORTED = "Reported"
HASH_TYPES = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256", "pdq": "PDQ"}
SCHEMA_HINT = "https://report.cybertip.org/ispws/xsd"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
MAX_INFO = 12000  # the longest additionalInfo our XSD accepts


# --- mapping -----------------------------------------------------------------------------


def _terms(export: CaseExport) -> list[str]:
    terms: list[str] = []
    for code in export.category_codes:
        info = export.categories.get(code)
        if info:
            terms.extend(_INCIDENT_ALIASES.get(t, t) for t in info.ncmec_terms())
    return terms


def incident_type(export: CaseExport) -> str:
    """The assessed category's incident type, else the nearest one (see the tables)."""
    info = export.categories.get(export.assessment.category)
    own = [_INCIDENT_ALIASES.get(t, t) for t in info.ncmec_terms()] if info else []
    for term in own:
        if term in INCIDENT_TYPES:
            return term
    fallback = _FALLBACK_INCIDENT.get(export.assessment.category)
    if fallback:
        return fallback
    for term in _terms(export):
        if term in INCIDENT_TYPES:
            return term
    message = "This category has no CyberTipline incident type."
    raise ApplicationError("not_reportable", message, {"category": [message]})


def report_annotations(export: CaseExport) -> list[str]:
    found = set(_terms(export))
    return [name for name in REPORT_ANNOTATIONS if name in found]


def file_annotations(export: CaseExport) -> list[str]:
    """The analyst's flags as annotations, and those of a category that maps to exactly
    one (self-generated, live-streaming); a category mapping to several (AI-generated
    "or" drawn) leaves the choice to the flags."""
    found: set[str] = set()
    for code in export.category_codes:
        info = export.categories.get(code)
        own = [t for t in info.ncmec_terms() if t in FILE_ANNOTATIONS] if info else []
        if len(own) == 1:
            found.add(own[0])
    found.update(_FLAG_ANNOTATIONS[f] for f in export.assessment.flags if f in _FLAG_ANNOTATIONS)
    if export.assessment.visual_age == "infant":
        found.add("infant")
    found.discard("potentialMeme")  # never ours to say: we do not see virality
    return [name for name in FILE_ANNOTATIONS if name in found]


# --- checks ------------------------------------------------------------------------------


def check_reportable(export: CaseExport) -> None:
    """Refuse what must not go to NCMEC, and what cannot be written, with every reason."""
    problems = export.problems()

    def fail(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    info = export.categories.get(export.assessment.category)
    if export.assessment.legal_basis == "not_illegal":
        fail("legal_basis", "Material assessed as not illegal is not reported to NCMEC.")
    if info is not None and not info.csea:
        fail("category", "This category is outside child sexual exploitation and abuse.")
    if not (export.sender.first_name.strip() and export.sender.last_name.strip()):
        fail("sender", "Set the reporting person's first and last name (NCMEC_REPORTER_*).")
    if not (export.url_items or export.hashed_items or export.narrative.strip()):
        fail("items", "The case has no link, no hash and no included narrative to report.")
    if problems:
        raise ApplicationError("not_reportable", "This case cannot be reported so.", problems)


# --- the report --------------------------------------------------------------------------


def _text(parent: Element, tag: str, value: str) -> Element:
    element = SubElement(parent, tag)
    element.text = value
    return element


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def hosting_line(hosting: Hosting | None) -> str:
    if hosting is None or not (hosting.country or hosting.asn or hosting.org):
        return "Hosting not traced."
    parts = []
    if hosting.country:
        parts.append(f"country {hosting.country}")
    if hosting.asn is not None:
        parts.append(f"AS{hosting.asn}" + (f" ({hosting.org})" if hosting.org else ""))
    elif hosting.org:
        parts.append(hosting.org)
    if hosting.ip:
        parts.append(f"address {hosting.ip}")
    if hosting.behind_cdn:
        parts.append("behind a CDN (the origin may be elsewhere)")
    when = f" on {_iso(hosting.traced_at)}" if hosting.traced_at else ""
    return f"Hosting when traced{when}: " + ", ".join(parts) + "."


def summary(export: CaseExport) -> str:
    """The report's additionalInfo: the assessment in codes, and the narrative only when
    the analyst included it."""
    a = export.assessment
    flags = ", ".join(sorted(a.flags)) or "none"
    channels = ", ".join(sorted({r.channel for r in export.reports})) or "none"
    lines = [
        f"Forwarded by {export.sender.name or 'a national hotline'}"
        + (f" ({export.sender.country})" if export.sender.country else "")
        + f", case {export.reference}.",
        f"Assessment: {a.category}; legal basis {a.legal_basis}; apparent age "
        f"{a.visual_age}; flags: {flags}.",
        "Categories reported: " + ", ".join(export.category_codes) + ".",
        f"Reports: {len(export.reports)} (channels: {channels}).",
        "The sender holds no imagery: files are described by their hashes only.",
    ]
    if export.narrative.strip():
        lines += ["", "Narrative, included by the analyst:", export.narrative.strip()]
    text = "\n".join(lines)
    if len(text) > MAX_INFO:
        message = f"The narrative is too long to send: the text is limited to {MAX_INFO}."
        raise ApplicationError("narrative_too_long", message, {"narrative": [message]})
    return text


def build_report(export: CaseExport) -> Element:
    """The ``<report>`` of ``export`` (see the module docstring for what it carries)."""
    check_reportable(export)
    report = Element("report", {f"{{{_XSI}}}noNamespaceSchemaLocation": SCHEMA_HINT})
    incident = SubElement(report, "incidentSummary")
    _text(incident, "incidentType", incident_type(export))
    if export.imminent_danger:
        _text(
            incident,
            "escalateToHighPriority",
            "The national hotline was told that a child may be in danger now.",
        )
    annotations = report_annotations(export)
    if annotations:
        holder = SubElement(incident, "reportAnnotations")
        for name in annotations:
            SubElement(holder, name)
    _text(incident, "incidentDateTime", _iso(export.first_reported_at))
    _text(
        incident,
        "incidentDateTimeDescription",
        "When the first report reached the national hotline; when the incident itself "
        "happened is not known.",
    )
    for item in export.url_items:
        web = SubElement(
            SubElement(report, "internetDetails"),
            "webPageIncident",
            {"thirdPartyHostedContent": "true"},
        )
        _text(web, "url", item.url)
        _text(web, "additionalInfo", hosting_line(item.hosting))
    person = SubElement(SubElement(report, "reporter"), "reportingPerson")
    _text(person, "firstName", export.sender.first_name.strip())
    _text(person, "lastName", export.sender.last_name.strip())
    _text(person, "email", export.sender.email.strip()).set("type", "Work")
    _text(report, "additionalInfo", summary(export))
    return report


# --- file details ------------------------------------------------------------------------


def build_file_details(
    export: CaseExport,
    item: Item,
    *,
    report_id: str,
    file_id: str,
    relevance: str = SUPPLEMENTAL,
    classify: bool = False,
    potential_meme: bool = False,
) -> Element:
    """The ``<fileDetails>`` describing ``item`` by its hashes. ``classify`` adds the
    assessment's industry classification and ``potential_meme`` that annotation; both
    are refused for a supplemental file (§1.4)."""
    if relevance not in (REPORTED, SUPPLEMENTAL):
        raise ApplicationError("invalid_relevance", f"Unknown file relevance {relevance!r}.")
    if relevance == SUPPLEMENTAL and (classify or potential_meme):
        message = (
            "A Supplemental Reported file may carry neither an industry classification "
            "nor the potentialMeme annotation."
        )
        raise ApplicationError("supplemental_rule", message, {"fileRelevance": [message]})
    if not item.hashes:
        raise ApplicationError("no_hashes", "This item has no hashes to describe.")
    details = Element("fileDetails")
    _text(details, "reportId", report_id)
    _text(details, "fileId", file_id)
    if item.kind == "url" and item.url:
        _text(details, "locationOfFile", item.url)
    _text(details, "fileRelevance", relevance)
    annotations = file_annotations(export) + (["potentialMeme"] if potential_meme else [])
    if annotations:
        holder = SubElement(details, "fileAnnotations")
        for name in FILE_ANNOTATIONS:
            if name in annotations:
                SubElement(holder, name)
    if classify and export.assessment.industry_classification:
        _text(details, "industryClassification", export.assessment.industry_classification)
    for name, value in item.hashes.present().items():
        _text(details, "originalFileHash", value).set("hashType", HASH_TYPES[name])
    note = "Hash record: the sender holds no imagery; these are the reported file's hashes."
    if item.matched:
        note += " They match a hash list the sender acts on."
    _text(details, "additionalInfo", note)
    return details


def hash_record(export: CaseExport, item: Item) -> bytes:
    """The text uploaded for a file known only by its hashes: never imagery."""
    lines = [
        f"Hash record of {export.reference}, item {item.id}.",
        "The sender holds no imagery. The reported file's hashes:",
        *(f"{HASH_TYPES[n]}: {v}" for n, v in item.hashes.present().items()),
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def build_bundle(export: CaseExport) -> Element:
    """The report and one file details per hashed item, for an offline export."""
    bundle = Element("ncmecBundle", {"version": "1"})
    bundle.append(build_report(export))
    for n, item in enumerate(export.hashed_items, start=1):
        bundle.append(build_file_details(export, item, report_id="0", file_id=f"local-{n}"))
    return bundle


def to_bytes(element: Element) -> bytes:
    return tostring(element, encoding="utf-8", xml_declaration=True)


def problems(root: Element) -> list[str]:
    """What is wrong with a report, a file details or a bundle under our XSDs."""
    if root.tag == "report":
        return documents.xml_problems("ncmec_report", root)
    if root.tag == "fileDetails":
        return documents.xml_problems("ncmec_filedetails", root)
    if root.tag != "ncmecBundle":
        return [f"/{root.tag[:40]}: expected report, fileDetails or ncmecBundle"]
    children = list(root)
    if not children or children[0].tag != "report":
        return ["/ncmecBundle: the first element must be the report"]
    found = documents.xml_problems("ncmec_report", children[0], prefix="/ncmecBundle")
    file_ids: set[str] = set()
    for n, child in enumerate(children[1:], start=2):
        where = f"/ncmecBundle/*[{n}]"
        if child.tag != "fileDetails":
            found.append(f"{where}: only fileDetails may follow the report")
            continue
        found += documents.xml_problems("ncmec_filedetails", child, prefix=where)
        file_id = child.findtext("fileId") or ""
        if file_id in file_ids:
            found.append(f"{where}: fileId {file_id[:64]!r} is used twice")
        file_ids.add(file_id)
    if (root.text or "").strip() or any((c.tail or "").strip() for c in children):
        found.append("/ncmecBundle: text between elements is not allowed")
    return found


# --- reading a forward -------------------------------------------------------------------


def _reverse(categories: Mapping[str, CategoryInfo]) -> dict[str, str]:
    """NCMEC term -> the first category (by position) mapping to it."""
    found: dict[str, str] = {}
    for info in sorted(categories.values(), key=lambda i: (i.position, i.code)):
        for term in info.ncmec_terms():
            found.setdefault(_INCIDENT_ALIASES.get(term, term), info.code)
    return found


def _age_band(age: int) -> str:
    for limit, band in ((9, "under_9"), (13, "9_12"), (16, "13_15"), (18, "16_17")):
        if age < limit:
            return band
    return "adult"


def read(data: bytes, categories: Mapping[str, CategoryInfo]) -> Forward:
    """A forward from a CyberTipline report or bundle; ``ApplicationError`` listing the
    schema problems if it is not one."""
    root = documents.parse_xml(data)
    found = problems(root)
    if found:
        raise documents.invalid(
            "invalid_document", "The file is not a valid CyberTipline report.", {"file": found}
        )
    report = root if root.tag == "report" else root[0]
    terms = _reverse(categories)
    forward = Forward(format="ncmec")
    incident = report.findtext("incidentSummary/incidentType") or ""
    flags = [e.tag for e in report.iterfind("incidentSummary/reportAnnotations/*")]
    for term in [incident, *flags]:
        code = terms.get(term)
        if code and code not in forward.categories:
            forward.categories.append(code)
    forward.facts["incidentType"] = incident
    forward.facts["incidentDateTime"] = report.findtext("incidentSummary/incidentDateTime") or ""
    for text in (
        report.findtext("incidentSummary/escalateToHighPriority"),
        report.findtext("additionalInfo"),
    ):
        if text and text.strip():
            forward.notes.append(text.strip())
    by_url: dict[str, ForwardItem] = {}
    for n, url in enumerate(report.iterfind("internetDetails/webPageIncident/url"), start=1):
        item = ForwardItem(url=(url.text or "").strip(), where=f"url {n}")
        forward.items.append(item)
        by_url.setdefault(item.url, item)
    ages = [int(a.text) for a in report.iterfind("victim/victimPerson/age") if a.text]
    if ages:
        forward.age_band = _age_band(min(ages))
    for n, details in enumerate(root.iterfind("fileDetails"), start=1):
        hashes = {
            h.get("hashType", "").lower(): (h.text or "").strip()
            for h in details.iterfind("originalFileHash")
        }
        for pair in details.iterfind("details[@type='HASH']/nameValuePair"):
            name = (pair.findtext("name") or "").strip().lower()
            if name in HASH_TYPES and name not in hashes:
                hashes[name] = (pair.findtext("value") or "").strip()
        for flag in details.iterfind("fileAnnotations/*"):
            code = terms.get(flag.tag)
            if code and code not in forward.categories:
                forward.categories.append(code)
            if flag.tag == "infant":
                forward.age_band = "under_9"
        location = (details.findtext("locationOfFile") or "").strip()
        if location and location in by_url and not by_url[location].hashes:
            by_url[location].hashes = hashes
            continue
        item = ForwardItem(url=location, hashes=hashes, where=f"fileDetails {n}")
        forward.items.append(item)
        if location:
            by_url.setdefault(location, item)
    return forward
