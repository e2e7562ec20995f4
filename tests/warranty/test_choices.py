"""``ChoiceLabels``: the cached ``get_FOO_display()`` answers exactly what Django's own would, in each language."""

import pytest
from django.db import models
from django.utils import translation

from tickets.models import Appointment, ContactAttempt, Report, Ticket

MODELS = [Ticket, Report, ContactAttempt, Appointment]


def _choice_fields(model):
    return [f for f in model._meta.concrete_fields if f.choices]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_labels_match_djangos_own_in_each_language(model, language):
    with translation.override(language):
        for field in _choice_fields(model):
            for value in [value for value, _label in field.flatchoices] + ["not-a-choice", ""]:
                instance = model(**{field.attname: value})
                ours = getattr(instance, f"get_{field.name}_display")()
                assert ours == models.Model._get_FIELD_display(instance, field), (field.name, value)


def test_the_label_follows_the_active_language():
    ticket = Ticket(location="kitchen")
    with translation.override("en"):
        assert ticket.get_location_display() == "Kitchen"
    with translation.override("zh-hans"):
        assert ticket.get_location_display() == "厨房"
