"""Forms of the settlement pages: input only; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LineKind


class CostLineForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=LineKind.choices)
    description = forms.CharField(label=_("description"), max_length=200)
    unit = forms.CharField(label=_("unit of measure"), max_length=20, required=False)
    quantity = forms.DecimalField(label=_("quantity"), max_digits=12, decimal_places=3, min_value=0)
    unit_price = forms.DecimalField(label=_("unit price (yuan)"), max_digits=14, decimal_places=2, min_value=0)


class AuditForm(forms.Form):
    """Leave quantity and price as entered to approve; change either to adjust, with a reason."""

    quantity = forms.DecimalField(label=_("audited quantity"), max_digits=12, decimal_places=3, min_value=0)
    unit_price = forms.DecimalField(label=_("audited unit price (yuan)"), max_digits=14, decimal_places=2, min_value=0)
    reason = forms.CharField(label=_("reason for the adjustment"), max_length=200, required=False)


class ApplicationForm(forms.Form):
    amount = forms.DecimalField(label=_("amount applied for (yuan)"), max_digits=14, decimal_places=2, min_value=0)


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("comment"), max_length=200, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("reason for rejection"), widget=forms.Textarea(attrs={"rows": 2}))
