"""`flask seed`: the community's starting groups (idempotent: matched by slug, text refreshed)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.blueprints.community.models import CommunityGroup

COMMON_RULES = (
    "Be kind and respectful; everyone here is dealing with something.\n"
    "Share experiences, not diagnoses: nothing here replaces your own doctor or pharmacist.\n"
    "Keep personal details (full names, addresses, phone numbers) out of posts.\n"
    "No advertising, selling, or links to miracle cures.\n"
    "If you or someone else is in danger, call 911. For thoughts of suicide, call or text 988."
)

GROUPS = [
    ("pancreatic-cancer", "Pancreatic Cancer",
     "For people living with pancreatic cancer, including pancreatic neuroendocrine tumours, and those close to them: "
     "diagnosis, treatment choices, side effects and everyday life."),
    ("cancer-caregivers", "Cancer Caregivers",
     "Support for family members and friends who care for someone with cancer: practical tips, appointments, "
     "looking after yourself, and the hard days."),
    ("diabetes", "Diabetes",
     "Type 1, type 2 and gestational diabetes: blood sugar, medicines and insulin, food, and living well with diabetes."),
    ("heart-health", "Heart Health",
     "High blood pressure, cholesterol, heart rhythm problems, heart failure and recovering after a heart attack."),
    ("mental-health", "Mental Health",
     "Depression, anxiety and other mental health conditions: treatment, coping, and finding support. "
     "This group is not a crisis service; in the US call or text 988 for the Suicide & Crisis Lifeline."),
    ("medications-side-effects", "Medications & Side Effects",
     "Questions about taking medicines: side effects, missed doses, interactions, and talking to your pharmacist."),
    ("chronic-pain", "Chronic Pain",
     "Living with long-lasting pain: arthritis, back pain, migraine, nerve pain, and the treatments people try."),
    ("asthma-allergies", "Asthma & Allergies",
     "Inhalers, action plans, triggers, seasonal and food allergies, for adults and for parents of children with asthma."),
    ("pregnancy-parenting", "Pregnancy & Parenting",
     "Trying to conceive, pregnancy, medicines while pregnant or breastfeeding, and the early years with children."),
    ("healthy-aging", "Healthy Aging",
     "Staying well as we get older: keeping active, memory, managing several medicines, and caring for ageing parents."),
]


def seed(session: Session, echo: Callable[[str], None]) -> None:
    created = updated = 0
    for slug, name, description in GROUPS:
        group = session.execute(select(CommunityGroup).where(CommunityGroup.slug == slug)).scalar_one_or_none()
        if group is None:
            session.add(CommunityGroup(slug=slug, name=name, description=description, rules=COMMON_RULES,
                                       visibility="public", status="approved"))
            created += 1
        elif (group.name, group.description, group.rules) != (name, description, COMMON_RULES):
            group.name, group.description, group.rules = name, description, COMMON_RULES
            updated += 1
    session.flush()
    echo(f"community groups: {created} added, {updated} updated, {len(GROUPS)} in the seed")
