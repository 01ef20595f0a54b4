"""Article Markdown to safe HTML, once, at load time.

Besides CommonMark (raw HTML switched off: it is shown as text) the renderer knows three
things our articles use:

* citation markers ``[1]``, ``[2,3,4]``, ``[5-7]`` become superscript links to the numbered
  reference list (``#ref-N``); every occurrence gets its own id (``cite-N-K``) so the
  reference list can link back to each place a reference is cited;
* ``[Level of evidence: 3iiD or 3iiiD]`` becomes a badge linking to our page about the PDQ
  levels of evidence, followed by a plain-words explanation of each code;
* a paragraph that is only ``[[related: some-article-slug]]`` becomes a "Recommended" card.

h2/h3 headings get stable ids; the h2s make the table of contents. The HTML is then
sanitised with nh3 against a short allow-list, so templates can print it as it is.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from markupsafe import escape

from webapp.core.slugs import slugify

# --- PDQ levels of evidence (adult treatment studies), explained in our own words ---------

# Strength of study design: (code, short name, explanation).
STUDY_DESIGNS: dict[str, tuple[str, str]] = {
    "1": ("Randomized controlled trial", "Patients were assigned to treatments at random and compared with a control group."),
    "1i": ("Randomized controlled trial, double-blinded",
           "Neither the patients nor the people treating and assessing them knew who received which treatment."),
    "1ii": ("Randomized controlled trial, treatment not blinded",
            "Patients were randomly assigned, but patients or doctors knew which treatment was given."),
    "2": ("Controlled trial without randomization",
          "Treated patients were compared with a control group, but the groups were not formed at random."),
    "3": ("Case series", "A report on a group of treated patients with no separate control group."),
    "3i": ("Case series, population based and consecutive",
           "Every patient treated within a defined population (for example a cancer registry area) is included."),
    "3ii": ("Case series, consecutive but not population based",
            "Every patient treated at one center or group of centers over a period is included, but not a whole population."),
    "3iii": ("Case series, not consecutive",
             "Only some of the patients treated were reported, so the selection of patients may bias the results."),
}

# Strength of the end point measured.
END_POINTS: dict[str, tuple[str, str]] = {
    "A": ("Total mortality", "Deaths from any cause, or overall survival, counted from a defined time."),
    "B": ("Cause-specific mortality", "Deaths from the cancer itself, counted from a defined time."),
    "C": ("Carefully assessed quality of life", "How patients feel and function, measured with validated questionnaires."),
    "D": ("Indirect surrogate end point",
          "Something measured in place of survival or quality of life, which may or may not predict them."),
    "Di": ("Indirect surrogate: event-free survival", "Time until any of a set of defined events happens."),
    "Dii": ("Indirect surrogate: disease-free survival", "Time without signs of the cancer after treatment."),
    "Diii": ("Indirect surrogate: progression-free survival", "Time until the cancer grows or spreads."),
    "Div": ("Indirect surrogate: tumor response rate", "How many patients' tumors shrank by a defined amount."),
}

_LEVEL_CODE = re.compile(r"(?P<design>[123](?:iii|ii|i)?)(?P<end>[ABCD](?:iv|iii|ii|i)?)")


class RenderError(ValueError):
    """Something in the Markdown that we refuse to publish (the loader adds file and line)."""


@dataclass(frozen=True)
class EvidenceLevel:
    code: str
    design: str
    design_text: str
    end_point: str
    end_point_text: str

    def sentence(self) -> str:
        return f"{self.code}: {self.design.lower()}; {self.end_point.lower()}."


def parse_level(code: str) -> EvidenceLevel:
    """One PDQ code such as "3iiD" or "1iA"; RenderError when it is not a valid code."""
    match = _LEVEL_CODE.fullmatch(code.strip())
    if not match or match["design"] not in STUDY_DESIGNS or match["end"] not in END_POINTS:
        raise RenderError(f"unknown level-of-evidence code {code.strip()!r} (expected e.g. 1iA, 2B, 3iiD, 3iiiDiv)")
    design, design_text = STUDY_DESIGNS[match["design"]]
    end_point, end_point_text = END_POINTS[match["end"]]
    return EvidenceLevel(match.group(0), design, design_text, end_point, end_point_text)


def parse_levels(text: str) -> list[EvidenceLevel]:
    """The codes of a marker's text: "3iiD or 3iiiD", "1iA, 1iiA"."""
    parts = [p for p in re.split(r"\s*(?:,|\bor\b|\band\b|/)\s*", text.strip()) if p]
    if not parts:
        raise RenderError("empty level-of-evidence marker")
    return [parse_level(p) for p in parts]


# --- markers in the Markdown source ----------------------------------------------------------

CITATION = re.compile(r"\[(\d{1,3}(?:\s*[-–]\s*\d{1,3})?(?:\s*,\s*\d{1,3}(?:\s*[-–]\s*\d{1,3})?)*)\]")
EVIDENCE = re.compile(r"\[Level of evidence:\s*([^\]\n]{1,80})\]", re.IGNORECASE)
RELATED = re.compile(r"\[\[related:\s*([a-z0-9]+(?:-[a-z0-9]+)*)\s*\]\]")


def citation_numbers(marker_text: str) -> list[int]:
    """ "2,3,4" -> [2, 3, 4]; "5-7" -> [5, 6, 7]."""
    numbers: list[int] = []
    for part in marker_text.split(","):
        bounds = [int(b) for b in re.split(r"[-–]", part.strip())]
        if len(bounds) == 2:
            low, high = bounds
            if not 0 < low < high or high - low > 50:
                raise RenderError(f"citation range {part.strip()!r} is not a sensible range")
            numbers.extend(range(low, high + 1))
        elif bounds[0] < 1:
            raise RenderError("citation numbers start at 1")
        else:
            numbers.append(bounds[0])
    return numbers


@dataclass(frozen=True)
class Marker:
    kind: str  # "citation", "evidence" or "related"
    value: str
    line: int  # 1-based, within the Markdown given


def scan_markers(markdown: str) -> list[Marker]:
    """Every citation, evidence and related-card marker with its line, in order."""
    found: list[Marker] = []
    for kind, pattern in (("citation", CITATION), ("evidence", EVIDENCE), ("related", RELATED)):
        for match in pattern.finditer(markdown):
            found.append(Marker(kind, match.group(1), markdown.count("\n", 0, match.start()) + 1))
    found.sort(key=lambda m: m.line)
    return found


# --- rendering -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RelatedCard:
    slug: str
    title: str
    teaser: str
    url: str
    kicker: str = "Recommended"


@dataclass
class Rendered:
    html: str
    toc: list[dict] = field(default_factory=list)           # [{"id": ..., "title": ...}] of the h2s
    citations: dict[int, list[str]] = field(default_factory=dict)  # number -> ids of the places it is cited
    evidence_codes: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)         # slugs of related cards shown inline
    plain_text: str = ""


def _citation_rule(state, silent: bool) -> bool:
    if state.src[state.pos] != "[":
        return False
    match = CITATION.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("citation", "sup", 0)
        token.meta = {"numbers": citation_numbers(match.group(1))}
    state.pos = match.end()
    return True


def _evidence_rule(state, silent: bool) -> bool:
    if state.src[state.pos] != "[":
        return False
    match = EVIDENCE.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("evidence", "span", 0)
        token.meta = {"text": match.group(1).strip(), "levels": parse_levels(match.group(1))}
    state.pos = match.end()
    return True


def _related_block(state, start_line: int, _end_line: int, silent: bool) -> bool:
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    line = state.src[state.bMarks[start_line] + state.tShift[start_line]:state.eMarks[start_line]]
    match = RELATED.fullmatch(line.strip())
    if not match:
        return False
    if silent:
        return True
    token = state.push("related_card", "aside", 0)
    token.meta = {"slug": match.group(1)}
    token.map = [start_line, start_line + 1]
    state.line = start_line + 1
    return True


def _heading_ids(state) -> None:
    used: set[str] = state.env.setdefault("heading_ids", set())
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in ("h2", "h3"):
            title = tokens[index + 1].content
            base = slugify(title, default="section")
            anchor, n = base, 2
            while anchor in used or anchor.startswith(("ref-", "cite-", "evidence-", "related-")) or anchor in ("references", "toc"):
                anchor, n = f"{base}-{n}", n + 1
            used.add(anchor)
            token.attrSet("id", anchor)
            if token.tag == "h2":
                state.env.setdefault("toc", []).append({"id": anchor, "title": title})


def _render_citation(_self, tokens, idx, _options, env) -> str:
    counts: dict[int, int] = env.setdefault("citation_counts", {})
    places: dict[int, list[str]] = env.setdefault("citations", {})
    links = []
    for number in tokens[idx].meta["numbers"]:
        counts[number] = counts.get(number, 0) + 1
        anchor = f"cite-{number}-{counts[number]}"
        places.setdefault(number, []).append(anchor)
        # The name starts with the visible number (WCAG 2.5.3): speech users say what they see.
        links.append(f'<a href="#ref-{number}" id="{anchor}" aria-label="{number} (reference)">{number}</a>')
    return f'<sup class="citation">[{",".join(links)}]</sup>'


def _render_evidence(_self, tokens, idx, _options, env) -> str:
    env["evidence_n"] = env.get("evidence_n", 0) + 1
    note_id = f"evidence-{env['evidence_n']}"
    levels: list[EvidenceLevel] = tokens[idx].meta["levels"]
    env.setdefault("evidence_codes", []).extend(level.code for level in levels)
    label = " or ".join(level.code for level in levels)
    note = " ".join(level.sentence() for level in levels)
    href = escape(env.get("levels_url", "#"))
    return (
        f' <span class="evidence"><a class="evidence-badge" href="{href}" aria-describedby="{note_id}">'
        f'<span class="evidence-icon" aria-hidden="true">◆</span> Level of evidence: {escape(label)}</a> '
        f'<span class="evidence-note" id="{note_id}">({escape(note)})</span></span>'
    )


def _render_related(_self, tokens, idx, _options, env) -> str:
    slug = tokens[idx].meta["slug"]
    card: RelatedCard | None = env.get("related_cards", {}).get(slug)
    if card is None:
        raise RenderError(f"related card for unknown article {slug!r}")
    env.setdefault("related", []).append(slug)
    title_id = f"related-{escape(slug)}"
    return (
        f'<aside class="related-card" aria-labelledby="{title_id}">\n'
        f'<p class="related-kicker">{escape(card.kicker)}</p>\n'
        f'<h3 id="{title_id}">{escape(card.title)}</h3>\n'
        f"<p>{escape(card.teaser)}</p>\n"
        f'<p><a class="related-link" href="{escape(card.url)}">Read the {escape(card.title)} article'
        f'<span aria-hidden="true"> ›</span></a></p>\n'
        "</aside>\n"
    )


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    md.inline.ruler.before("link", "evidence", _evidence_rule)
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.block.ruler.before("paragraph", "related_card", _related_block, {"alt": ["paragraph"]})
    md.core.ruler.push("heading_ids", _heading_ids)
    md.add_render_rule("citation", _render_citation)
    md.add_render_rule("evidence", _render_evidence)
    md.add_render_rule("related_card", _render_related)
    return md


_MD = _markdown()

ALLOWED_TAGS = {
    "a", "abbr", "aside", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "li", "ol", "p", "pre",
    "span", "strong", "sup", "sub", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class"},
    "a": {"href", "aria-label", "aria-describedby"},
    "aside": {"aria-labelledby"},
    "span": {"aria-hidden"},
    "abbr": {"title"},
    "th": {"scope"},
    "ol": {"start"},
}


def sanitise(fragment: str) -> str:
    return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, link_rel=None,
                     url_schemes={"http", "https", "mailto"}, strip_comments=True)


def plain_text(fragment: str) -> str:
    """Readable text of an HTML fragment (for the search index and meta descriptions)."""
    return re.sub(r"\s+", " ", html.unescape(nh3.clean(fragment, tags=set()))).strip()


def render(markdown: str, *, levels_url: str = "#", related_cards: dict[str, RelatedCard] | None = None) -> Rendered:
    """Render one article body. RenderError for a marker we cannot publish."""
    env: dict = {"levels_url": levels_url, "related_cards": related_cards or {}}
    body = sanitise(_MD.render(markdown, env))
    return Rendered(
        html=body,
        toc=env.get("toc", []),
        citations=env.get("citations", {}),
        evidence_codes=env.get("evidence_codes", []),
        related=env.get("related", []),
        plain_text=plain_text(body),
    )


def render_inline_markdown(markdown: str) -> str:
    """Short Markdown (a center's introduction): same safety, no special markers needed."""
    return sanitise(_MD.render(markdown, {"levels_url": "#", "related_cards": {}}))
