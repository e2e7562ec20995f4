"""Forms of the steward's tablet pages and the contractor's view.

Forms only parse and validate input; the services decide. A ServiceError
with a ``field`` is put back on the form with :func:`add_service_error`, so
the page re-renders with everything the user typed.
"""

import base64
import binascii

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from warranty.models import Contractor, User
from warranty.roles import Role

from .models import Difficulty, OwnerConsent, WorkLog

# Common repair materials offered as checkboxes; anything else goes into the free text.
MATERIALS = [
    ("waterproof_coating", _("Waterproof coating (polyurethane / JS)")),
    ("waterproof_membrane", _("Waterproof membrane")),
    ("sealant", _("Sealant / silicone")),
    ("cement_mortar", _("Cement mortar")),
    ("tile_adhesive", _("Tile adhesive and tiles")),
    ("grout", _("Grout")),
    ("gypsum_board", _("Gypsum board")),
    ("putty", _("Putty")),
    ("latex_paint", _("Latex paint")),
    ("ppr_pipe", _("PPR water pipe and fittings")),
    ("pvc_drain", _("PVC drain pipe and fittings")),
    ("wire", _("Electrical wire")),
    ("switch_socket", _("Switch or socket")),
    ("door_hardware", _("Door or window hardware")),
    ("glass", _("Glass pane")),
    ("grouting_resin", _("Crack injection resin")),
]
MATERIAL_LABELS = dict(MATERIALS)

# The steward's re-inspection checklist (all must pass for a passed re-inspection).
CHECKLIST = [
    ("as_planned", _("Repaired as planned")),
    ("tested", _("Tested: no leak, works as it should")),
    ("clean", _("Site cleaned up")),
    ("no_damage", _("Nothing else in the flat damaged")),
]


def material_label(value) -> str:
    """A plan's material as text: list items by their label, anything else as written."""
    return str(MATERIAL_LABELS.get(value, value))


def add_service_error(form: forms.Form, error) -> None:
    """Put a ServiceError on the form: on its field when the form has one, else on the whole form."""
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(error))


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class TriageForm(forms.Form):
    difficulty = forms.ChoiceField(label=_("Difficulty"), choices=Difficulty.choices, widget=forms.RadioSelect)
    steward = forms.ModelChoiceField(label=_("Steward"), queryset=User.objects.none())
    engineer = forms.ModelChoiceField(label=_("Warranty engineer"), queryset=User.objects.none(), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(is_active=True, projects=project).distinct().order_by("last_name", "first_name")
        self.fields["steward"].queryset = staff.filter(groups__name__in=[Role.STEWARD, Role.DIRECTOR]).distinct()
        self.fields["engineer"].queryset = staff.filter(groups__name=Role.ENGINEER).distinct()


class AppointmentForm(forms.Form):
    scheduled_at = forms.DateTimeField(label=_("Date and time"), widget=DateTimeLocalInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class PlanForm(forms.Form):
    cause = forms.CharField(label=_("Cause"), widget=forms.Textarea(attrs={"rows": 3}))
    method = forms.CharField(label=_("Repair method"), widget=forms.Textarea(attrs={"rows": 3}))
    materials = forms.MultipleChoiceField(
        label=_("Materials"), choices=MATERIALS, required=False, widget=forms.CheckboxSelectMultiple
    )
    materials_note = forms.CharField(label=_("Other materials"), required=False, max_length=200)
    estimated_days = forms.IntegerField(label=_("Estimated duration (days)"), min_value=1, max_value=365, initial=1)


class DispatchForm(forms.Form):
    contractor = forms.ModelChoiceField(label=_("Contractor"), queryset=Contractor.objects.none())
    override_reason = forms.CharField(
        label=_("Reason for another contractor than the liable one"), required=False, max_length=200
    )
    scheduled_at = forms.DateTimeField(label=_("Appointment"), widget=DateTimeLocalInput())
    materials_note = forms.CharField(label=_("Materials"), required=False, max_length=300)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contractor"].queryset = (
            Contractor.objects.filter(engagements__project=project) | Contractor.objects.filter(is_commissionable=True)
        ).distinct()


class OwnerAbsentForm(forms.Form):
    note = forms.CharField(label=_("Note left for the owner"), max_length=200)
    rebook_at = forms.DateTimeField(label=_("Rebook for"), required=False, widget=DateTimeLocalInput())


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input; the services check each file by its content."""

    widget = MultipleFileInput(attrs={"accept": "image/*", "capture": "environment", "data-downscale": "1600"})

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultiplePhotoField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


MATERIAL_ROWS = 4


class WorkLogForm(forms.Form):
    kind = forms.ChoiceField(label=_("Entry"), choices=[])
    note = forms.CharField(label=_("What was done"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    test_result = forms.CharField(label=_("Test result"), required=False, max_length=200)
    photos = MultiplePhotoField(label=_("Photos"), required=False)

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, WorkLog.Kind(k).label) for k in kinds]
        if len(kinds) == 1:
            self.fields["kind"].widget = forms.HiddenInput()
            self.fields["kind"].initial = kinds[0]
        for i in range(MATERIAL_ROWS):
            self.fields[f"material_{i}"] = forms.CharField(label=_("Material"), required=False, max_length=100)
            self.fields[f"quantity_{i}"] = forms.DecimalField(
                label=_("Quantity"), required=False, min_value=0, max_digits=10, decimal_places=2
            )
            self.fields[f"unit_{i}"] = forms.CharField(
                label=pgettext_lazy("unit of measure", "Unit"), required=False, max_length=20
            )

    def clean(self):
        data = super().clean()
        said = (data.get("note") or "").strip() or (data.get("test_result") or "").strip() or data.get("photos")
        if not said and not any((data.get(f"material_{i}") or "").strip() for i in range(MATERIAL_ROWS)):
            self.add_error("note", _("Describe what was done, or add a material or a photo."))
        return data

    def material_rows(self):
        return [(self[f"material_{i}"], self[f"quantity_{i}"], self[f"unit_{i}"]) for i in range(MATERIAL_ROWS)]

    def materials_used(self) -> list[dict]:
        rows = []
        for i in range(MATERIAL_ROWS):
            name = (self.cleaned_data.get(f"material_{i}") or "").strip()
            if name:
                quantity = self.cleaned_data.get(f"quantity_{i}")
                rows.append(
                    {
                        "name": name,
                        "quantity": str(quantity if quantity is not None else ""),
                        "unit": self.cleaned_data.get(f"unit_{i}") or "",
                    }
                )
        return rows


def decode_signature(data_url: str) -> bytes:
    """The PNG bytes of a canvas ``toDataURL()``; empty bytes when nothing was drawn or sent."""
    data_url = (data_url or "").strip()
    if not data_url.startswith("data:image/png;base64,"):
        return b""
    try:
        return base64.b64decode(data_url.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return b""


class SignatureField(forms.CharField):
    widget = forms.HiddenInput(attrs={"data-signature-value": "1"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)  # the service says "the signature is empty"
        super().__init__(**kwargs)


class ConsentForm(forms.Form):
    subject = forms.ChoiceField(label=_("Subject"), choices=OwnerConsent.Subject.choices)
    what = forms.CharField(label=_("What the owner agrees to"), widget=forms.Textarea(attrs={"rows": 3}))
    amount = forms.DecimalField(label=_("Amount (yuan)"), required=False, min_value=0, max_digits=12, decimal_places=2)
    how = forms.ChoiceField(
        label=_("How consented"), choices=OwnerConsent.How.choices, initial=OwnerConsent.How.SIGNED_ON_SCREEN
    )
    consented = forms.BooleanField(label=_("The owner agrees"), required=False, initial=True)
    signature = SignatureField(label=_("Owner's signature"))


class ReinspectionForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("1", _("Passed")), ("0", _("Failed: return to repair"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in CHECKLIST:
            self.fields[f"check_{key}"] = forms.BooleanField(label=label, required=False)

    def checklist_fields(self):
        return [self[f"check_{key}"] for key, _label in CHECKLIST]

    def checklist(self) -> dict:
        return {key: bool(self.cleaned_data.get(f"check_{key}")) for key, _label in CHECKLIST}


class OwnerSignOffForm(forms.Form):
    signer_name = forms.CharField(label=_("Name of the person signing"), required=False, max_length=50)
    comment = forms.CharField(label=_("Owner's comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    signature = SignatureField(label=_("Signature"))


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class AcceptNoticeForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Appointment"),
        choices=[("confirm", _("Confirm the appointment")), ("propose", _("Propose another time"))],
        widget=forms.RadioSelect,
        initial="confirm",
    )
    proposed_at = forms.DateTimeField(label=_("Proposed time"), required=False, widget=DateTimeLocalInput())

    def clean(self):
        data = super().clean()
        if data.get("answer") == "propose" and not data.get("proposed_at"):
            self.add_error("proposed_at", _("Choose the time you propose."))
        return data


class DeclineNoticeForm(forms.Form):
    reason = forms.CharField(label=_("Reason for declining"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))


def materials_text(plan) -> str:
    """A plan's materials, the list items and the free text, as one line."""
    if plan is None:
        return ""
    parts = [material_label(m) for m in plan.materials or []]
    if plan.materials_note:
        parts.append(plan.materials_note)
    return "、".join(parts)


def with_materials_text(plan):
    if plan is not None:
        plan.materials_text = materials_text(plan)
    return plan
