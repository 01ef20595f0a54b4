"""The fingerprint that spots an edit made elsewhere while a form was open."""

from webapp.core import edit_conflicts as ec


def test_same_values_same_fingerprint_and_no_conflict():
    shown = ec.fingerprint(["Grandpa Joe", "grandparent", ["ckd"], "penicillin"])
    assert not ec.changed_since(shown, ["Grandpa Joe", "grandparent", ["ckd"], "penicillin"])


def test_any_change_in_what_the_form_edits_is_a_conflict():
    shown = ec.fingerprint(["Grandpa Joe", "penicillin"])
    assert ec.changed_since(shown, ["Grandpa Joe", "penicillin, sulfa"])
    assert ec.changed_since(shown, ["Grandpa Joe ", "penicillin"])  # even whitespace: it is what was saved


def test_a_missing_or_forged_fingerprint_never_overwrites():
    assert ec.changed_since(None, ["x"]) and ec.changed_since("", ["x"])
    assert ec.changed_since("0" * 32, ["x"]) and ec.changed_since("<script>", ["x"])


def test_unicode_dates_and_none_are_fine():
    from datetime import date

    values = ["Zoë 😀", None, date(2026, 11, 28), {"b": 1, "a": 2}]
    assert not ec.changed_since(ec.fingerprint(values), values)
    assert "Profile was changed somewhere else" in ec.conflict_message("Profile")
