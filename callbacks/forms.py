"""Forms of the callback pages. The callback form is one screen, driven by the keyboard alone."""

from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from tickets.models import ContactAttempt

from .models import Satisfaction
from .services import CallbackAnswer

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _radios(label, choices, accesskey: str, *, required=False):
    return forms.ChoiceField(
        label=label,
        choices=choices,
        required=required,
        widget=forms.RadioSelect(attrs={"accesskey": accesskey}),
    )


class SatisfactionForm(forms.Form):
    """The questions of the callback, reused by the quarterly survey."""

    reached = _radios(_("Owner reached?"), YES_NO, "1", required=True)
    quality = _radios(_("Repair quality"), Satisfaction.choices, "3")
    attitude = _radios(_("Service attitude"), Satisfaction.choices, "4")
    timeliness = _radios(_("Timeliness"), Satisfaction.choices, "5")
    suggestions = forms.CharField(label=_("Suggestions"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    non_warranty_issues = forms.CharField(
        label=_("Non-warranty issues raised"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def answer(self) -> CallbackAnswer:
        d = self.cleaned_data
        return CallbackAnswer(
            reached=d["reached"] == "yes",
            resolved=_yes_no(d.get("resolved", "")),
            quality=d.get("quality", ""),
            attitude=d.get("attitude", ""),
            timeliness=d.get("timeliness", ""),
            meets_standard=_yes_no(d.get("meets_standard", "")),
            suggestions=d.get("suggestions", ""),
            non_warranty_issues=d.get("non_warranty_issues", ""),
            note=d.get("note", ""),
            contact_changed_phone=str(d.get("new_phone") or ""),
        )


class CallbackForm(SatisfactionForm):
    resolved = _radios(_("Defect resolved?"), YES_NO, "2")
    meets_standard = _radios(_("Does the work meet the acceptance standard?"), YES_NO, "6")
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
    new_phone = PhoneNumberField(label=_("New phone (if the owner's number changed)"), region="CN", required=False)

    field_order = [
        "reached",
        "resolved",
        "quality",
        "attitude",
        "timeliness",
        "meets_standard",
        "suggestions",
        "non_warranty_issues",
        "note",
        "new_phone",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reached"].widget.attrs["autofocus"] = True


class NotificationAttemptForm(forms.Form):
    reached = forms.TypedChoiceField(
        label=_("Owner reached?"), choices=YES_NO, coerce=lambda v: v == "yes", widget=forms.RadioSelect
    )
    method = forms.ChoiceField(label=_("Method"), choices=ContactAttempt.Method.choices, initial="phone")
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
    new_phone = PhoneNumberField(label=_("New phone"), region="CN", required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
