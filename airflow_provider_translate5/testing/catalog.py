"""Static reference data of the simulated installation: languages, customers, workflows, file types.

Kept apart from the mutable state so the rules (which steps a workflow has, which extensions import) read
like the translate5 tables they imitate (LEK_languages, LEK_workflow_step, FileTypeSupport).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# (id, rfc5646, lcid, English name, rtl)
_LANGUAGES: list[tuple[int, str, int, str, int]] = [
    (4, "de", 7, "German", 0),
    (5, "en", 9, "English", 0),
    (6, "es", 10, "Spanish", 0),
    (7, "fr", 12, "French", 0),
    (8, "it", 16, "Italian", 0),
    (9, "nl", 19, "Dutch", 0),
    (10, "pl", 21, "Polish", 0),
    (11, "pt", 22, "Portuguese", 0),
    (12, "ru", 25, "Russian", 0),
    (13, "ja", 17, "Japanese", 0),
    (14, "zh", 4, "Chinese", 0),
    (15, "ar", 1, "Arabic", 1),
    (16, "he", 13, "Hebrew", 1),
    (17, "cs", 5, "Czech", 0),
    (18, "da", 6, "Danish", 0),
    (19, "sv", 29, "Swedish", 0),
    (20, "tr", 31, "Turkish", 0),
    (251, "de-DE", 1031, "German (Germany)", 0),
    (252, "de-AT", 3079, "German (Austria)", 0),
    (253, "de-CH", 2055, "German (Switzerland)", 0),
    (261, "en-GB", 2057, "English (United Kingdom)", 0),
    (262, "en-US", 1033, "English (United States)", 0),
    (271, "es-ES", 3082, "Spanish (Spain)", 0),
    (281, "fr-FR", 1036, "French (France)", 0),
    (282, "fr-CH", 4108, "French (Switzerland)", 0),
    (291, "it-IT", 1040, "Italian (Italy)", 0),
    (301, "nl-NL", 1043, "Dutch (Netherlands)", 0),
    (311, "pl-PL", 1045, "Polish (Poland)", 0),
    (321, "pt-BR", 1046, "Portuguese (Brazil)", 0),
    (331, "ja-JP", 1041, "Japanese (Japan)", 0),
    (341, "zh-CN", 2052, "Chinese (PRC)", 0),
    (342, "zh-TW", 1028, "Chinese (Taiwan)", 0),
]


# Main languages as the recorded server lists them (section 04): German name, default region, ISO 639-2.
_MAIN: dict[str, tuple[str, str, str]] = {
    "de": ("Deutsch", "de-DE", "ger"),
    "en": ("Englisch", "en-GB", "eng"),
    "es": ("Spanisch", "es-ES", "spa"),
    "fr": ("Französisch", "fr-FR", "fre"),
    "it": ("Italienisch", "it-IT", "ita"),
    "nl": ("Niederländisch", "nl-NL", "dut"),
    "pl": ("Polnisch", "pl-PL", "pol"),
    "pt": ("Portugiesisch", "pt-PT", "por"),
    "ru": ("Russisch", "ru-RU", "rus"),
    "ja": ("Japanisch", "ja-JP", "jpn"),
    "zh": ("Chinesisch", "zh-CN", "chi"),
    "ar": ("Arabisch", "ar-SA", "ara"),
    "he": ("Hebräisch", "he-IL", "heb"),
    "cs": ("Tschechisch", "cs-CZ", "cze"),
    "da": ("Dänisch", "da-DK", "dan"),
    "sv": ("Schwedisch", "sv-SE", "swe"),
    "tr": ("Türkisch", "tr-TR", "tur"),
}


def language_rows() -> list[dict[str, Any]]:
    """LEK_languages rows in the recorded shape (``langName`` German, ``localizedName`` English)."""
    rows = []
    for lang_id, rfc, lcid, name, rtl in _LANGUAGES:
        main, _, region = rfc.partition("-")
        german, sublanguage, iso6393 = _MAIN.get(main, (name, rfc, main))
        if region:
            german, sublanguage = f"{german} ({region})", rfc
        rows.append(
            {
                "id": lang_id,
                "langName": german,
                "lcid": lcid,
                "rfc5646": rfc,
                "iso3166Part1alpha2": (region or sublanguage.partition("-")[2]).lower() or None,
                "sublanguage": sublanguage,
                "rtl": rtl,
                "iso6393": iso6393,
                "hidden": 0,
                "localizedName": name,
            }
        )
    return rows


_BY_ID = {row[0]: row for row in _LANGUAGES}
_BY_RFC = {row[1].lower(): row for row in _LANGUAGES}
_BY_LCID = {row[2]: row for row in _LANGUAGES}


def resolve_language(value: str | int | None) -> int:
    """LanguageResolver: numeric id, RFC 5646 (case-insensitive like MySQL) or ``lcid-<n>``; 0 = unknown."""
    if value is None:
        return 0
    text = str(value).strip()
    if text.isdigit():
        return int(text) if int(text) in _BY_ID else 0
    if text.lower().startswith("lcid-") and text[5:].isdigit():
        row = _BY_LCID.get(int(text[5:]))
        return row[0] if row else 0
    row = _BY_RFC.get(text.lower())
    return row[0] if row else 0


def rfc5646(lang_id: int) -> str:
    row = _BY_ID.get(lang_id)
    return row[1] if row else ""


@dataclass(frozen=True)
class Customer:
    id: int
    number: str
    name: str


CUSTOMERS = (
    Customer(1, "default for translate5", "defaultcustomer"),
    Customer(2, "1000", "ACME Content Team"),
)


def find_customer(value: str | int | None) -> Customer | None:
    """``customerId`` may be the id or the customer number (TaskController::prepareCustomer)."""
    text = "" if value is None else str(value).strip()
    for customer in CUSTOMERS:
        if text == str(customer.id) or text == customer.number:
            return customer
    return None


#: Customers' default jobs (customer number, login, step, source, target; workflow ``default``): ACME Content
#: Team has translator1 and reviewer1 for English into German and into French.
DEFAULT_JOBS: tuple[tuple[str, str, str, str, str], ...] = (
    ("1000", "translator1", "translation", "en", "de"),
    ("1000", "reviewer1", "reviewing", "en", "de"),
    ("1000", "translator1", "translation", "en", "fr"),
    ("1000", "reviewer1", "reviewing", "en", "fr"),
)


@dataclass(frozen=True)
class Workflow:
    name: str
    steps: tuple[tuple[str, str], ...]  # (step name, role) in chain order


WORKFLOWS = {
    "default": Workflow(
        "default",
        (("translation", "translator"), ("reviewing", "reviewer"), ("translatorCheck", "translatorCheck")),
    ),
    "complex": Workflow(
        "complex",
        (
            ("firsttranslation", "translator"),
            ("review1stlanguage", "reviewer"),
            ("review1sttechnical", "reviewer"),
            ("review2ndlanguage", "reviewer"),
            ("review2ndtechnical", "reviewer"),
            ("textapproval", "reviewer"),
            ("graphicimplementation", "translatorCheck"),
            ("finaltextapproval", "reviewer"),
        ),
    ),
}
WORKFLOW_ENDED = "workflowEnded"
NO_WORKFLOW = "no workflow"
OFF_CHAIN_STEPS = {"visiting": "visitor", "pmCheck": "pm"}


def step_role(workflow: str, step: str) -> str | None:
    flow = WORKFLOWS.get(workflow, WORKFLOWS["default"])
    for name, role in flow.steps:
        if name == step:
            return role
    return OFF_CHAIN_STEPS.get(step)


VALID_TRIGGERS = (
    "notifyAllUsersAboutTaskAssociation",
    "notifyPmFinishOfVisualApproval",
    *(f"finishPrintApprovalJobs{i}" for i in range(1, 5)),
    *(f"finishWaitingPdfJob{i}" for i in range(1, 5)),
    *(f"nextPdfReviewIteration{i}" for i in range(2, 5)),
)

# Core parsers + the default Okapi bconf mapping (docs/compatibility.md#creating-tasks).
SUPPORTED_EXTENSIONS = frozenset(
    [
        "xlf",
        "xlif",
        "xliff",
        "mxliff",
        "mqxliff",
        "sdlxliff",
        "xml",
        "transit",
        "xlfzend",
        "zxliff",
        "testcase",
        "zip",
        "vsdx",
        "properties",
        "pptx",
        "pptm",
        "ppsx",
        "ppsm",
        "potx",
        "potm",
        "csv",
        "rdf",
        "idml",
        "srt",
        "pdf",
        "txt",
        "yaml",
        "yml",
        "ttx",
        "php",
        "markdown",
        "md",
        "odt",
        "ods",
        "odp",
        "odg",
        "ott",
        "ots",
        "otp",
        "otg",
        "cpp",
        "c",
        "h",
        "java",
        "py",
        "m",
        "wcml",
        "lang",
        "tmx",
        "wxl",
        "json",
        "ts",
        "po",
        "tex",
        "stringsdict",
        "strings",
        "resx",
        "xlsx",
        "xlsm",
        "xltx",
        "xltm",
        "docx",
        "docm",
        "dotx",
        "dotm",
        "mif",
        "dita",
        "ditamap",
        "xini",
        "icml",
        "html",
        "htm",
        "xhtml",
        "xhtm",
        "rtf",
        "txp",
        "txml",
        "rkm",
        "rkp",
        "dtd",
        "sdlrpx",
        "sdlppx",
        "pentm",
        "tbx",
    ]
)
XLIFF_EXTENSIONS = frozenset({"xlf", "xlif", "xliff", "mxliff", "mqxliff", "sdlxliff"})


def extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
