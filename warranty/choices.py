"""``get_FOO_display()`` that looks the label up instead of rebuilding the field's choices each call.

Django's ``Model._get_FIELD_display`` builds ``dict(make_hashable(field.flatchoices))`` on every call,
hashing every (lazily translated) label of the field, which translates each of them: about 40 µs for
a field of a dozen choices. A list of 25 tickets shows two or three such labels per row, so the
rebuilding cost a queue page a tenth of its time (bench/RESULTS.md). The labels are read once per
field here and translated only when shown, in the language active then.
"""

from __future__ import annotations

from django.utils.encoding import force_str

_labels: dict[int, dict] = {}


class ChoiceLabels:
    """Mix into a model, before ``models.Model``: its ``get_FOO_display()`` methods use the cached labels.

    Only for fields with fixed choices (a callable ``choices`` would be read once).
    """

    def _get_FIELD_display(self, field):
        labels = _labels.get(id(field))
        if labels is None:
            labels = _labels[id(field)] = dict(field.flatchoices)
        value = getattr(self, field.attname)
        try:
            label = labels.get(value, value)
        except TypeError:  # an unhashable value: Django's own way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)
