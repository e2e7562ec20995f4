"""Forms of the settlement pages: input only; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import OwnerConsent
from warranty.models import Contractor

from .models import CommissionReason, LineKind


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
    reason = forms.CharField(label=_("reason for rejection"), max_length=100, widget=forms.Textarea(attrs={"rows": 2}))


class CommissionForm(forms.Form):
    firm = forms.ModelChoiceField(label=_("commissioned firm"), queryset=None)
    reason = forms.ChoiceField(label=_("reason"), choices=CommissionReason.choices)
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["firm"].queryset = Contractor.objects.filter(is_commissionable=True)


QuoteLineFormSet = forms.formset_factory(CostLineForm, extra=3, min_num=1, validate_min=True)


class ConsentChoiceForm(forms.Form):
    consent = forms.ModelChoiceField(label=_("owner's consent"), queryset=None)

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].queryset = OwnerConsent.objects.filter(
            ticket=ticket, subject=OwnerConsent.Subject.QUOTE, consented=True
        )
