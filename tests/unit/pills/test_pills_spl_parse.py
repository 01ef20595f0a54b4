"""The SPL parser on the real label files gives exactly the rows of spl_products.csv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from webapp.blueprints.pills.importers.spl import SplError, parse_spl

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "spl-pill-attributes"


@pytest.mark.skipif(not SHARED.exists(), reason=f"real SPL files not available ({SHARED} is absent)")
def test_parser_reproduces_spl_products_csv():
    parsed = {}
    for path in sorted((SHARED / "spl_xml").glob("*.xml")):
        document = parse_spl(path.read_bytes())
        for product in document.products:
            parsed[(document.setid, product.ndc)] = (document, product)
    with open(SHARED / "spl_products.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(parsed) == len(rows)
    for row in rows:
        document, product = parsed[(row["setid"], row["product_ndc"])]
        mine = {
            "spl_version": str(document.version), "effective_time": document.effective_time,
            "document_type": document.document_type, "labeler": document.labeler, "medicine_name": product.name,
            "dosage_form": product.dosage_form, "active_ingredients": product.active_ingredients_text,
            "splimprint": product.imprint, "splcolor": ";".join(name for _code, name in product.colours),
            "splcolor_code": ";".join(code for code, _name in product.colours),
            "splshape": product.shape[1] if product.shape else "", "splshape_code": product.shape[0] if product.shape else "",
            "splsize_mm": product.size_mm, "splscore": product.score, "splflavor": ";".join(product.flavors),
            "splimage": product.image,
        }
        assert mine == {key: row[key] for key in mine}, row["product_ndc"]


@pytest.mark.parametrize("data, reason", [
    (b"", "not well-formed"),
    (b"<document><open>", "not well-formed"),
    (b"<html/>", "not an HL7 SPL document"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "x">]><d>&a;</d>', "DTD"),
    (b'<document xmlns="urn:hl7-org:v3"><versionNumber value="1"/></document>', "no set id"),
    (b'<document xmlns="urn:hl7-org:v3"><setId root="abc"/><versionNumber value="x"/></document>', "not a number"),
])
def test_unreadable_documents_say_why(data, reason):
    with pytest.raises(SplError, match=reason):
        parse_spl(data)


def test_a_minimal_document_with_a_two_colour_capsule():
    xml = b"""<document xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
      <code displayName="HUMAN OTC DRUG LABEL"/><effectiveTime value="20200101"/>
      <setId root="ABC-1"/><versionNumber value="2"/>
      <author><assignedEntity><representedOrganization><name>Sample Labs</name></representedOrganization></assignedEntity></author>
      <component><structuredBody><component><section><subject><manufacturedProduct>
        <manufacturedProduct><code code="12345-678"/><name>Sample<suffix>Plus</suffix></name>
          <formCode displayName="CAPSULE"/>
          <ingredient classCode="ACTIB"><quantity><numerator value="25" unit="mg"/></quantity>
            <ingredientSubstance><name>EXAMPLE HCL</name>
              <activeMoiety><activeMoiety><name>EXAMPLE</name></activeMoiety></activeMoiety>
            </ingredientSubstance></ingredient>
          <ingredient classCode="IACT"><ingredientSubstance><name>TALC</name></ingredientSubstance></ingredient>
        </manufacturedProduct>
        <subjectOf><characteristic><code code="SPLCOLOR"/><value code="C48333" displayName="BLUE"/></characteristic></subjectOf>
        <subjectOf><characteristic><code code="SPLCOLOR"/><value code="C48325" displayName="WHITE"/></characteristic></subjectOf>
        <subjectOf><characteristic><code code="SPLSHAPE"/><value code="C48336" displayName="CAPSULE"/></characteristic></subjectOf>
        <subjectOf><characteristic><code code="SPLIMPRINT"/><value>SL;25</value></characteristic></subjectOf>
        <subjectOf><characteristic><code code="SPLSIZE"/><value value="16" unit="mm"/></characteristic></subjectOf>
      </manufacturedProduct></subject></section></component></structuredBody></component>
    </document>"""
    document = parse_spl(xml)
    assert (document.setid, document.version, document.labeler) == ("abc-1", 2, "Sample Labs")
    (product,) = document.products
    assert product.name == "Sample" and product.name_suffix == "Plus"
    assert product.colours == [("C48333", "BLUE"), ("C48325", "WHITE")]
    assert product.imprint == "SL;25" and product.size_mm == "16" and product.strength == "25 mg"
    assert product.active_ingredients_text == "EXAMPLE HCL 25 mg" and product.moieties == ["EXAMPLE"]
