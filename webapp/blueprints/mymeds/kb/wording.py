"""The grades and words of interaction rules generated from public lists (kb_build.py).

The public lists give facts only: which two medicines, how strongly the list grades the
pair, and (ANSM) a short technical description. We keep the facts and write every sentence
a reader sees ourselves, per mechanism kind, filled with the two medicine names.

- GRADES: each list's grade, the severity we show for it and what the advice says. Why
  each mapping is what it is: webapp/data/README.md, "Interaction rules from public lists".
- classify_mechanism(description): the mechanism kind of an ANSM row, by keywords.
- wording(kind, grade, a, b, affected): the summary and advice of one finding.

Pure functions; nothing here reads a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Grade:
    code: str
    severity: str  # major | moderate | minor
    strictness: int  # orders grades when two sources disagree (higher is stricter)
    advice: str


# One line per grade a source can give. ANSM: the four levels of the thesaurus; ONC: the
# high-priority list (interrupt the prescriber) and the non-interruptive list.
GRADES: dict[str, Grade] = {
    "ansm-contraindication": Grade(
        "ansm-contraindication", "major", 6,
        "Do not combine these medicines. If both seem to have been prescribed, ask your prescriber or "
        "pharmacist before taking the next dose."),
    "onc-high-priority": Grade(
        "onc-high-priority", "major", 5,
        "Avoid taking these together unless your prescriber has decided it is necessary and is "
        "monitoring you. Check with your prescriber or pharmacist before the next dose."),
    "ansm-not-recommended": Grade(
        "ansm-not-recommended", "major", 5,
        "These are usually not taken together. Check with your prescriber or pharmacist; if both "
        "are needed, they will plan the doses and the checks."),
    "ansm-precaution": Grade(
        "ansm-precaution", "moderate", 3,
        "They can be taken together with care: your prescriber may adjust a dose or check on you "
        "more often. Make sure each prescriber knows about both."),
    "ansm-take-into-account": Grade(
        "ansm-take-into-account", "minor", 2,
        "Usually no change is needed. Mention both medicines to your pharmacist, especially if you "
        "notice the effect described."),
    "onc-non-interruptive": Grade(
        "onc-non-interruptive", "minor", 1,
        "Shown for information, without interrupting: usually no change is needed. Mention both "
        "medicines to your pharmacist."),
}

# Pharmacodynamic kinds (an effect of both that adds up), in the order the classifier tries
# them: the first whose keywords match wins, so the more specific kinds come first.
_EFFECTS: tuple[tuple[str, str], ...] = (
    ("live-vaccine", r"vaccin"),
    ("contraceptive", r"contracepti"),
    ("opposing", r"antagonism"),
    ("serotonin", r"serotonin"),
    ("qt", r"torsade|qt interval|qt prolong|ventricular (arrhythm|rhythm)"),
    ("hyperkalaemia", r"hyperkal"),
    ("bleeding", r"h?a?emorrhag|bleeding|hemostasis"),
    ("muscle", r"rhabdomyol|myopath"),
    ("breathing", r"respiratory depression"),
    ("nervous-system", r"neurotox|neurolog|cerebell|ataxia|confusion"),
    ("sedation", r"sedat|somnolence|alertness|drowsi"),
    ("seizures", r"(?<!anti)convuls|epilep|seizure"),
    ("hypertension", r"hypertensive cris|arterial hypertension|elevation of blood pressure|constriction of"),
    ("low-blood-pressure", r"hypotension|hypotensive effect|vasodilat"),
    ("slow-heart", r"bradycard|atrioventricular|conduction disorder"),
    ("kidney", r"nephrotox|renal insufficiency|renal failure|renal function"),
    ("low-blood-sugar", r"hypoglyc"),
    ("blood-count", r"h?a?ematolog|neutropen|myelotox|bone marrow|agranulocyt"),
)
# Pharmacokinetic kinds (one changes the level of the other): whichever is named first.
_LEVELS: tuple[tuple[str, str], ...] = (
    ("raises-level", r"increase,? (\w+ )*?(of|in) the (\w+ )?(plasma |blood |serum )?(concentration|level)"
                     r"|decrease of (its|the) (hepatic |renal )?(metabolism|clearance|excretion|elimination)"
                     r"|inhibition of (its|the|their) (hepatic )?metabolism|increase of the \w+emia"),
    ("lowers-effect", r"decrease,? (\w+ )*?(of|in) the (\w+ )?(plasma |blood |serum )?(concentration|level)"
                      r"|(decrease|reduction|loss) of (the|its) (\w+ )?(effectiveness|efficacy|effect)"
                      r"|increase of (its|the) (hepatic )?metabolism|inducer|induction"),
    ("absorption", r"(decrease|reduction) of (the|its) (digestive |intestinal )?absorption|digestive absorption"),
)
_LEVEL_KINDS = tuple(kind for kind, _ in _LEVELS)
_CONSEQUENCE_OF_LEVEL = ("serotonin", "qt", "bleeding", "muscle", "breathing", "nervous-system", "sedation",
                         "seizures", "hypertension", "low-blood-pressure", "slow-heart", "kidney",
                         "low-blood-sugar", "blood-count")
MECHANISMS: tuple[str, ...] = (
    tuple(kind for kind, _ in _EFFECTS) + _LEVEL_KINDS
    + tuple(f"raises-level/{c}" for c in _CONSEQUENCE_OF_LEVEL) + ("generic",))


def classify_mechanism(description: str) -> str:
    """The mechanism kind of a list row from its description (English, any case): an effect
    both medicines share ("qt"), a change of level ("lowers-effect"), a raised level with
    its consequence ("raises-level/breathing"), or "generic" when no keyword matches."""
    text = " ".join((description or "").lower().split())
    effect = next((kind for kind, pattern in _EFFECTS if re.search(pattern, text)), None)
    if effect in ("live-vaccine", "contraceptive", "opposing"):
        return effect
    spots = [(m.start(), kind) for kind, pattern in _LEVELS if (m := re.search(pattern, text))]
    if spots:
        level = min(spots)[1]
        if level == "raises-level" and effect in _CONSEQUENCE_OF_LEVEL:
            return f"raises-level/{effect}"
        return level
    return effect or "generic"


# What can happen, per mechanism kind. {a} and {b} are the two medicines; {x} is the one whose
# level or effect changes, {y} the other (kinds that need a direction only use them when known).
_SUMMARIES: dict[str, str] = {
    # Effects that add up are said of the pair, never "both do X": a list row often pairs a
    # medicine that causes the effect with one that only makes it more likely (a laxative that
    # lowers potassium, with a medicine that lengthens the QT interval).
    "live-vaccine": "With {a} and {b} together, a live vaccine may not be safe: a weakened immune system "
                    "can let the vaccine virus or germ cause a serious infection.",
    "contraceptive": "With {a} and {b} together, a hormonal contraceptive may not prevent pregnancy reliably.",
    "opposing": "{a} and {b} work against each other, so either may not work as well.",
    "serotonin": "Together, {a} and {b} can cause serotonin toxicity: agitation, sweating, shaking, fever and "
                 "a fast heartbeat.",
    "qt": "Together, {a} and {b} raise the risk of a dangerous irregular heartbeat (a long QT interval, "
          "torsades de pointes).",
    "hyperkalaemia": "Together, {a} and {b} can raise the potassium level in the blood too far, which can cause "
                     "muscle weakness and a dangerous heart rhythm.",
    "bleeding": "Together, {a} and {b} raise the risk of bleeding.",
    "muscle": "Together, {a} and {b} raise the risk of muscle damage, which can be severe and harm the kidneys.",
    "breathing": "Together, {a} and {b} can deepen sleepiness and slow breathing.",
    "nervous-system": "Together, {a} and {b} can affect the nervous system: confusion, dizziness, unsteadiness "
                      "or trembling.",
    "sedation": "Together, {a} and {b} can make you sleepier and slow your reactions, which matters for driving "
                "and raises the risk of falls.",
    "seizures": "Together, {a} and {b} raise the risk of seizures.",
    "hypertension": "Together, {a} and {b} can narrow blood vessels and raise blood pressure sharply.",
    "low-blood-pressure": "Together, {a} and {b} can lower blood pressure too far, causing dizziness or fainting, "
                          "especially when standing up.",
    "slow-heart": "Together, {a} and {b} can slow the heartbeat too much.",
    "kidney": "Together, {a} and {b} raise the risk of kidney harm.",
    "low-blood-sugar": "Together, {a} and {b} can make blood sugar drop too low.",
    "blood-count": "Together, {a} and {b} can lower the blood counts more than either alone.",
    "absorption": "Taken at the same time, one of {a} and {b} can stop the other from being absorbed well.",
    "lowers-effect": "{y} can lower the blood level or the effect of {x}, so {x} may not work as well.",
    "raises-level": "{y} can raise the blood level of {x}, which makes the side effects of {x} more likely.",
    "generic": "{a} and {b} are known to interact.",
}
# The same kinds when the list does not say which medicine is affected.
_UNDIRECTED = {
    "lowers-effect": "One of {a} and {b} can lower the blood level or the effect of the other, so it may "
                     "not work as well.",
    "raises-level": "One of {a} and {b} can raise the blood level of the other, which makes its side "
                    "effects more likely.",
}
# Said after "raises the level of" when the list names the consequence.
_CONSEQUENCES = {
    "serotonin": "This can lead to serotonin toxicity (agitation, sweating, shaking, fever).",
    "qt": "This can lead to a dangerous irregular heartbeat.",
    "bleeding": "This raises the risk of bleeding.",
    "muscle": "This raises the risk of muscle damage.",
    "breathing": "This can cause deep sleepiness and slowed breathing.",
    "nervous-system": "This can cause confusion, dizziness or unsteadiness.",
    "sedation": "This can cause more sleepiness.",
    "seizures": "This can raise the risk of seizures.",
    "hypertension": "This can raise blood pressure sharply.",
    "low-blood-pressure": "This can lower blood pressure too far (dizziness, fainting).",
    "slow-heart": "This can slow the heartbeat too much.",
    "kidney": "This can harm the kidneys.",
    "low-blood-sugar": "This can make blood sugar drop too low.",
    "blood-count": "This can lower the blood counts.",
}
_KIND_ADVICE = {
    "absorption": " Taking them a few hours apart often avoids it; ask your pharmacist how far apart.",
    "contraceptive": " Ask about a non-hormonal or extra method of contraception.",
    "serotonin": " Get medical help at once for confusion, high fever or muscle stiffness.",
    "qt": " Get emergency help for fainting or a racing, fluttering heartbeat.",
    "breathing": " Get emergency help for very slow breathing or if you cannot be woken.",
    "bleeding": " Get medical help for black stools, vomiting blood or unusual bruising.",
    "muscle": " Report unexplained muscle pain, weakness or dark urine right away.",
}
# Moiety names are lowercase; these few are proper names in a sentence.
_PROPER = {"st. john's wort": "St. John's wort"}


def wording(kind: str, grade: str, a: str, b: str, affected: str | None = None) -> tuple[str, str]:
    """(summary, advice) for a pair; `affected` is a or b when the list says whose level or
    effect changes, else None."""
    a, b, affected = (_PROPER.get(n, n) if n else n for n in (a, b, affected))
    base, _, consequence = kind.partition("/")
    template = _SUMMARIES.get(base, _SUMMARIES["generic"])
    if base in _UNDIRECTED and affected not in (a, b):
        template = _UNDIRECTED[base]
    x = affected if affected in (a, b) else a
    y = b if x == a else a
    summary = _capitalise(template.format(a=a, b=b, x=x, y=y))
    if consequence in _CONSEQUENCES:
        summary += " " + _CONSEQUENCES[consequence]
    advice = GRADES[grade].advice
    if GRADES[grade].severity != "minor":
        advice += _KIND_ADVICE.get(consequence or base, "")
    return summary, advice


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
