"""What POST /api/v1/interactions answers: a checker result as JSON-ready plain data.

The fields are the API's contract (described in webapp/blueprints/api/routes.py's OpenAPI
document); change them only together with it.
"""

from __future__ import annotations

from webapp.blueprints.mymeds.checker import CheckResult


def interactions_payload(check: CheckResult) -> dict:
    report = check.report
    unchecked = {m.key for m in report.unchecked}
    return {
        "allergies": [{
            "drug": f.medicine.key, "allergy": f.allergy, "severity": f.severity, "explanation": f.explanation,
            "advice": f.advice,
        } for f in (check.allergy_report.findings if check.allergy_report else [])],
        "drugs": [{"input": r.input, "slug": r.found.key, "name": r.found.name} for r in check.recognised],
        "unrecognized": [r.input for r in check.results if r.found is None],
        # Recognised, but with no interaction rule at all: not checked, never silently "fine".
        "unchecked": [r.input for r in check.recognised if r.found.key in unchecked],
        "suggestions": dict(check.suggestions),
        "interactions": [{
            "drugs": list(f.medicine_keys), "severity": f.severity, "summary": f.summary, "advice": f.advice,
            "source": f.source.title, "source_url": f.source.url,
        } for f in report.interactions],
        "duplications": [{
            d.kind: d.key, "drugs": [m.key for m in d.medicines], "note": d.note,
        } for d in report.duplications],
        "food": [{
            "drug": f.medicines[0].key, "food": f.other, "severity": f.severity, "summary": f.summary,
            "advice": f.advice, "source": f.source.title, "source_url": f.source.url,
        } for f in report.food],
    }
