"""Forms of the front desk and the public owner pages. They validate input; the services write."""

from __future__ import annotations

import re

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from warranty import prepared
from warranty.models import DefectCategory, Project, Unit

from .attachments import MAX_PHOTO_BYTES, MAX_VIDEO_BYTES
from .models import Channel, ContactAttempt, Location, Relation
from .services import DefectInput
from .services.records import BOOKING_HORIZON

MAX_FILES_PER_DEFECT = 6


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several photos in one input; each is checked by content in the service (tickets.attachments)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,video/mp4,video/quicktime,video/webm"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_FILES_PER_DEFECT:
            raise forms.ValidationError(_("At most %(n)s files per defect.") % {"n": MAX_FILES_PER_DEFECT})
        cleaned = [single(f, initial) for f in files]
        for f in cleaned:
            # A quick size check so a huge file is refused before its content is read;
            # the service checks the content (and the exact limits) again.
            if f.size > MAX_VIDEO_BYTES:
                raise forms.ValidationError(
                    _("“%(name)s” is larger than %(mb)s MB.") % {"name": f.name, "mb": MAX_VIDEO_BYTES // 2**20}
                )
        return cleaned


class LookedUpChoiceField(forms.ModelChoiceField):
    """A choice by id; ``lookup`` (id → instance or None), when given, finds it instead of the queryset
    (which still lists the choices): a read whose SQL is kept (warranty.prepared)."""

    lookup = None

    def to_python(self, value):
        if self.lookup is None or value in self.empty_values:
            return super().to_python(value)
        try:
            pk = int(value)
        except (TypeError, ValueError):
            pk = 0
        found = self.lookup(pk) if 0 < pk < 2**63 else None
        if found is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return found


class CategoryChoiceField(LookedUpChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def _active_category(pk: int):
    return DefectCategory.objects.filter(is_active=True, pk=pk)


def active_category(pk: int) -> DefectCategory | None:
    found = prepared.rows("forms:active-category", _active_category, pk=pk)
    return found[0] if found else None


class DefectForm(forms.Form):
    """One defect of a report: where, what kind, what the owner sees, photos."""

    location = forms.ChoiceField(label=_("Location in the unit"), choices=[("", "---------"), *Location.choices])
    location_detail = forms.CharField(label=_("Location detail"), max_length=100, required=False)
    part = forms.CharField(label=_("Part or facility"), max_length=100, required=False)
    category = CategoryChoiceField(label=_("Category"), queryset=DefectCategory.objects.none())
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultipleFileField(
        label=_("Photos or short video"),
        # Filled in when shown: "%" on a lazy text at import would fix it in the default language.
        help_text=lazy(
            lambda: (
                _("Photos up to %(photo)s MB, videos up to %(video)s MB.")
                % {"photo": MAX_PHOTO_BYTES // 2**20, "video": MAX_VIDEO_BYTES // 2**20}
            ),
            str,
        )(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = DefectCategory.objects.filter(is_active=True).order_by("sort_order", "code")
        self.fields["category"].lookup = active_category

    def clean_description(self):
        text = (self.cleaned_data.get("description") or "").strip()
        if not text:
            raise forms.ValidationError(_("Describe the defect."))
        return text

    def to_input(self) -> DefectInput:
        data = self.cleaned_data
        return DefectInput(
            location=data["location"],
            location_detail=data.get("location_detail", ""),
            part=data.get("part", ""),
            category=data["category"],
            description=data["description"],
            photos=list(data.get("photos") or []),
        )


class BaseDefectFormSet(forms.BaseFormSet):
    default_error_messages = {  # Django's own speak of "forms", which means nothing to the front desk or an owner
        "too_few_forms": _("Add at least one defect."),
        "too_many_forms": _("A report holds at most %(num)d defects: log the others as another report."),
    }

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not any(form.has_changed() and not self._should_delete_form(form) for form in self.forms):
            raise forms.ValidationError(_("Add at least one defect."))

    def defects(self) -> list[DefectInput]:
        return [f.to_input() for f in self.forms if f.has_changed() and not self._should_delete_form(f)]


DefectFormSet = forms.formset_factory(
    DefectForm, formset=BaseDefectFormSet, extra=0, min_num=1, validate_min=True, max_num=10, validate_max=True
)


class UnitChoiceField(LookedUpChoiceField):
    widget = forms.HiddenInput

    def label_from_instance(self, obj):
        return str(obj)


class IntakeForm(forms.Form):
    """The report itself, as taken on the phone (or at the counter)."""

    unit = UnitChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        error_messages={
            "required": _("Find and choose the unit first."),
            "invalid_choice": _("Find and choose the unit first."),
        },
    )
    reporter_name = forms.CharField(label=_("Reported by"), max_length=50)
    reporter_relation = forms.ChoiceField(label=_("Relation to the owner"), choices=Relation.choices)
    contact_phone = PhoneNumberField(
        label=_("Contact phone"),
        region="CN",
        error_messages={"invalid": _("Enter a valid phone number, e.g. 13812345678 or 0571-88886666.")},
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    expected_at = forms.DateTimeField(
        label=_("Owner's expected time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    expected_note = forms.CharField(
        label=_("Expected time (note)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. weekday evenings after 18:00")}),
    )
    is_emergency = forms.BooleanField(label=_("Emergency (leak, power cut affecting safety)"), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units=None, lookup=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units.select_related("project", "building__batch")
        self.fields["unit"].lookup = lookup

    def clean_expected_at(self):
        value = self.cleaned_data.get("expected_at")
        if value and value < timezone.now() - timezone.timedelta(hours=1):
            raise forms.ValidationError(_("The expected time cannot be in the past."))
        if value and value > timezone.now() + BOOKING_HORIZON:
            raise forms.ValidationError(_("The expected time can be at most a year ahead."))
        return value


class UnitSearchForm(forms.Form):
    q = forms.CharField(max_length=50, required=False)

    def clean_q(self):
        return (self.cleaned_data.get("q") or "").strip()


def unit_search_filter(q: str) -> Q:
    """Units matching a unit number, a current owner's name or phone digits."""
    condition = Q(number__icontains=q) | Q(ownerships__until__isnull=True, ownerships__owner__name__icontains=q)
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 4:
        condition |= Q(ownerships__until__isnull=True, ownerships__owner__phone__contains=digits)
    return condition


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Number, unit, phone or name"), max_length=50, required=False)
    page = forms.IntegerField(required=False, min_value=1)

    def clean_q(self):
        return (self.cleaned_data.get("q") or "").strip()


class ContactAttemptForm(forms.Form):
    purpose = forms.ChoiceField(choices=ContactAttempt.Purpose.choices)
    reached = forms.TypedChoiceField(choices=[("1", _("Reached")), ("0", _("Not reached"))], coerce=lambda v: v == "1")
    method = forms.ChoiceField(choices=ContactAttempt.Method.choices, required=False)
    note = forms.CharField(max_length=200, required=False)


class ActionForm(forms.Form):
    """The few inputs a ticket action may need: a note or reason, how it ends."""

    note = forms.CharField(max_length=1000, required=False)
    resolution = forms.CharField(max_length=20, required=False)


# --- owner pages ---------------------------------------------------------------------


class LookupForm(forms.Form):
    number = forms.CharField(
        label=_("Report number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    last4 = forms.RegexField(
        label=_("Last 4 digits of your phone"),
        regex=r"^\d{4}$",
        error_messages={"invalid": _("Enter 4 digits.")},
        # Never echoed back into the page, even after a failed attempt.
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "4"}, render_value=False
        ),
    )

    def clean_number(self):
        return self.cleaned_data["number"].strip().upper()


class ProjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class OwnerReportForm(forms.Form):
    """The owner reports online; verified by unit number and the registered owner's mobile phone."""

    project = ProjectChoiceField(label=_("Residential project"), queryset=Project.objects.order_by("name"))
    unit_number = forms.RegexField(
        label=_("Unit number"),
        regex=r"^[0-9A-Za-z]+(-[0-9A-Za-z]+)*$",
        max_length=30,
        error_messages={"invalid": _("Use a number like 3-2-1201.")},
    )
    owner_phone = PhoneNumberField(
        label=_("Registered owner's mobile phone"),
        region="CN",
        error_messages={"invalid": _("Enter the 11-digit mobile number registered for the unit.")},
    )
    reporter_name = forms.CharField(label=_("Your name"), max_length=50)
    contact_phone = PhoneNumberField(
        label=_("Phone to call you back (if different)"),
        region="CN",
        required=False,
        error_messages={"invalid": _("Enter a valid phone number.")},
    )
    expected_note = forms.CharField(label=_("When are you at home?"), max_length=100, required=False)
