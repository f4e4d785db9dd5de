"""Making an offer known: the ready-to-post texts and hashtags of share links, and the
schema.org JobPosting (JSON-LD) that search engines read on the offer's page.

Nothing here reads or writes the database: each function turns an offer into text or data.
"""

from __future__ import annotations

import re
from typing import Any

from slugify import slugify as _slugify

from referral.models import ContractType, Offer, RemoteWork, WorkingTime


def strong_points(offer: Offer, locale: str = "fr") -> list[str]:
    """Two or three selling points of an offer, for the ready-to-post text."""
    fr = locale != "en"
    points: list[str] = []
    if offer.remote_work == RemoteWork.FULL.value:
        points.append("Télétravail complet possible" if fr else "Fully remote possible")
    elif offer.remote_work == RemoteWork.PARTIAL.value:
        points.append("Télétravail partiel possible" if fr else "Partial remote work")
    if offer.contract_type == ContractType.PERMANENT.value:
        points.append("Emploi permanent" if fr else "Permanent position")
    if offer.location:
        points.append(("Basé à " if fr else "Based in ") + offer.location)
    if offer.salary and len(points) < 3:
        points.append(offer.salary)
    if offer.category and len(points) < 3:
        points.append(("Catégorie " if fr else "Category ") + offer.category)
    return points[:3]


def _hashtag(text: str) -> str:
    """``"gestion de projet"`` as ``GestionDeProjet``, keeping acronyms (``SQL``, ``RH``)."""
    words = _slugify(text, separator=" ", lowercase=False).split()
    return re.sub(
        r"[^0-9A-Za-z]", "", "".join(w if w[1:] != w[1:].lower() else w.capitalize() for w in words)
    )


def hashtags(offer: Offer, locale: str = "fr") -> list[str]:
    """A few hashtags for a post: recruitment, the public service, the métier and top skills."""
    tags = ["#recrutement", "#servicepublic"] if locale != "en" else ["#hiring", "#publicservice"]
    for word in [offer.metier, *(offer.required_skills or [])[:2]]:
        tag = _hashtag(word or "")
        if tag and f"#{tag}" not in tags:
            tags.append(f"#{tag}")
    return tags[:5]


def postal_address(offer: Offer, organisation: str, region: str = "") -> dict[str, str]:
    """The place of work as a schema.org PostalAddress: the street and postal code the manager
    filled in, the town (the first part of ``location``: "Lyon, hôtel de Région" is in Lyon)
    and the organisation's region."""
    town = (offer.location or "").split(",")[0].strip() or organisation
    address = {"@type": "PostalAddress"}
    if offer.street_address:
        address["streetAddress"] = offer.street_address
    if offer.postal_code:
        address["postalCode"] = offer.postal_code
    address["addressLocality"] = town
    if region:
        address["addressRegion"] = region
    address["addressCountry"] = "FR"
    return address


def _credential_category(level: str) -> str | None:
    """schema.org's credential category of a French education level ("Bac+5 en droit")."""
    folded = level.lower().replace(" ", "")
    years = re.search(r"bac\+(\d)", folded)
    if years:
        return {2: "associate degree", 3: "bachelor degree"}.get(
            int(years.group(1)), "postgraduate degree" if int(years.group(1)) > 3 else None
        )
    if re.search(r"\b(bac|baccalaur|cap|bep)", level.lower()):
        return "high school"
    return None


def _requirements(offer: Offer, posting: dict[str, Any]) -> None:
    if offer.min_experience_years is not None:
        posting["experienceRequirements"] = {
            "@type": "OccupationalExperienceRequirements",
            "monthsOfExperience": offer.min_experience_years * 12,
        }
    if offer.education_level:
        credential: dict[str, Any] = {
            "@type": "EducationalOccupationalCredential",
            "name": offer.education_level,
        }
        category = _credential_category(offer.education_level)
        if category:
            credential["credentialCategory"] = category
        posting["educationRequirements"] = credential
    if offer.pay_unit and (offer.pay_min is not None or offer.pay_max is not None):
        value: dict[str, Any] = {"@type": "QuantitativeValue", "unitText": offer.pay_unit.upper()}
        if offer.pay_min is not None:
            value["minValue"] = offer.pay_min
        if offer.pay_max is not None:
            value["maxValue"] = offer.pay_max
        posting["baseSalary"] = {"@type": "MonetaryAmount", "currency": "EUR", "value": value}


def job_posting(
    offer: Offer, *, organisation: str, url: str, description: str, region: str = ""
) -> dict[str, Any]:
    """The schema.org JobPosting of an offer (rendered as JSON-LD on its page)."""
    types = ["PART_TIME" if offer.working_time == WorkingTime.PART.value else "FULL_TIME"]
    extra = {
        ContractType.FIXED_TERM.value: "TEMPORARY",
        ContractType.TEMPORARY.value: "TEMPORARY",
        ContractType.INTERNSHIP.value: "INTERN",
        ContractType.APPRENTICESHIP.value: "OTHER",
    }.get(offer.contract_type)
    if extra:
        types.append(extra)
    posting: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": offer.title,
        "description": description,
        "identifier": {"@type": "PropertyValue", "name": organisation, "value": offer.reference},
        "datePosted": (offer.published_at or offer.created_at).date().isoformat(),
        "employmentType": types,
        "hiringOrganization": {"@type": "Organization", "name": organisation},
        "jobLocation": {"@type": "Place", "address": postal_address(offer, organisation, region)},
        "url": url,
        "totalJobOpenings": offer.positions,
    }
    if offer.closing_date:
        posting["validThrough"] = f"{offer.closing_date.isoformat()}T23:59:59+01:00"
    if offer.remote_work == RemoteWork.FULL.value:
        posting["jobLocationType"] = "TELECOMMUTE"
    if offer.required_skills:
        posting["skills"] = ", ".join(offer.required_skills)
    if offer.metier:
        posting["occupationalCategory"] = offer.metier
    _requirements(offer, posting)
    if offer.direction is not None:
        posting["hiringOrganization"]["department"] = {
            "@type": "Organization",
            "name": offer.direction.name,
        }
    return posting


def post_text(offer: Offer, locale: str, link_url: str | None) -> str:
    """A ready-to-post text for social networks, in French or English, built from the offer."""
    fr = locale != "en"
    lines = [("Nous recrutons : " if fr else "We are hiring: ") + offer.title]
    where = " · ".join(
        p for p in (offer.direction.name if offer.direction else "", offer.location) if p
    )
    if where:
        lines.append(where)
    lines.append("")
    lines += [f"• {point}" for point in strong_points(offer, locale)]
    lines.append("")
    if link_url:
        lines.append(
            ("Découvrez l'offre et postulez : " if fr else "Read the offer and apply: ") + link_url
        )
    lines.append(
        "Vous connaissez quelqu'un pour ce poste ? Partagez !"
        if fr
        else "Know someone for this job? Please share!"
    )
    lines.append("")
    lines.append(" ".join(hashtags(offer, locale)))
    return "\n".join(lines)
