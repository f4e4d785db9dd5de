"""One shape for the domain's refusals, one translator at the web edge."""

import inspect
import pkgutil
from importlib import import_module

import pytest

import referral
from referral.applications import pipeline, referrals
from referral.errors import DomainError, InvalidInput, NotFound
from referral.linkedin.archive import ArchiveRefused
from referral.messages import RuleBroken
from referral.models import ApplicationStatus
from referral.people.users import normalise_email
from web.errors import field_errors, refusal_text


def _refusal_classes():
    found = set()
    for info in pkgutil.walk_packages(referral.__path__, "referral."):
        if ".migrations" in info.name:
            continue
        module = import_module(info.name)
        for _, member in inspect.getmembers(module, inspect.isclass):
            if issubclass(member, DomainError):
                found.add(member)
    return found


def test_every_refusal_of_the_domain_is_a_domain_error():
    """An exception class of referral/ that refuses something for a reason a person reads is a
    DomainError (the others are technical: a config file, the mail server, a retry marker)."""
    technical = {"ConfigError", "ServerUnavailable", "_Resubmitted"}
    for info in pkgutil.walk_packages(referral.__path__, "referral."):
        if ".migrations" in info.name:
            continue
        module = import_module(info.name)
        for name, member in inspect.getmembers(module, inspect.isclass):
            if member.__module__ != module.__name__ or not issubclass(member, Exception):
                continue
            assert issubclass(member, DomainError) or name in technical, name
    assert len(_refusal_classes()) >= 10


@pytest.mark.parametrize(
    "error, field",
    [
        (pipeline.PipelineError("The reason is too long.", "reason"), "reason"),
        (RuleBroken("This text is too long (at most %(max)s characters).", "body", max=5), "body"),
        (ArchiveRefused("The file is not a LinkedIn data archive."), "archive"),
        (referrals.ReferralRefused("self", "You cannot refer yourself."), "email"),
        (InvalidInput("This offer cannot be published yet.", {"title": "required"}), None),
        (NotFound("No such offer."), None),
    ],
)
def test_each_refusal_carries_its_template_parameters_and_field(error, field):
    assert error.template and isinstance(error.params, dict) and error.field == field
    assert str(error) == (error.template % error.params if error.params else error.template)
    if field:
        assert error.errors[field] == str(error)


def test_the_translator_fills_the_translated_template_and_names_the_stages(app):
    refused = pipeline.MoveForbidden(
        "Hiring managers may move applications up to the stage “%(stage)s” only.",
        stage=ApplicationStatus.INTERVIEW,
    )
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert refusal_text(refused) == (
            "Les encadrants ne peuvent faire avancer une candidature que jusqu'à "
            "l'étape « Entretien »."
        )
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert refusal_text(refused).endswith("up to the stage “Interview” only.")


def test_field_errors_translate_the_field_of_the_refusal_and_the_others(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        with pytest.raises(InvalidInput) as caught:
            normalise_email("pas-une-adresse")
        assert field_errors(caught.value) == {"email": "Saisissez une adresse e-mail valide."}
        too_long = RuleBroken("This text is too long (at most %(max)s characters).", "body", max=5)
        assert field_errors(too_long) == {"body": "Ce texte est trop long (5 caractères au plus)."}
