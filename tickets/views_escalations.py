"""The escalation queue of the director and the project GM (DOMAIN §5): list, detail, and the GM naming a follower."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from warranty.models import User
from warranty.roles import Role
from warranty.scoping import scope

from . import escalations as svc
from .models import Escalation
from .services.errors import ServiceError

QUEUE_ROLES = (Role.DIRECTOR, Role.PROJECT_GM)


def _check_role(user) -> None:
    if not (user.is_superuser or user.has_role(*QUEUE_ROLES)):
        raise PermissionDenied


def escalations_for(user):
    """Escalations the user may see, with what a queue row shows joined in."""
    return scope(Escalation.objects.all(), user).select_related(
        "project", "ticket", "unit", "batch", "category", "assignee"
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Person to follow it"))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, project_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(
            is_active=True, projects=project_id, contractor__isnull=True
        ).order_by("last_name", "first_name", "username")


class ResolveForm(forms.Form):
    note = forms.CharField(label=_("How it was resolved"), widget=forms.Textarea(attrs={"rows": 3}))


@login_required
def escalation_list(request):
    _check_role(request.user)
    status = request.GET.get("status", "open")
    qs = escalations_for(request.user)
    if status == "open":
        qs = qs.exclude(status=Escalation.Status.RESOLVED)
    elif status in Escalation.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "tickets/escalations/escalation_list.html",
        {"escalations": qs[:200], "status": status, "statuses": Escalation.Status.choices},
    )


@login_required
def escalation_detail(request, pk: int):
    _check_role_or_assignee(request, pk)
    escalation = get_object_or_404(escalations_for(request.user), pk=pk)
    return render(
        request,
        "tickets/escalations/escalation_detail.html",
        {
            "escalation": escalation,
            "assign_form": AssignForm(project_id=escalation.project_id),
            "resolve_form": ResolveForm(),
            "can_assign": request.user.is_superuser or request.user.has_role(Role.PROJECT_GM),
            "history": escalation.history.select_related("history_user").order_by("-history_date")[:20],
        },
    )


def _check_role_or_assignee(request, pk: int) -> None:
    if request.user.is_superuser or request.user.has_role(*QUEUE_ROLES):
        return
    if not Escalation.objects.filter(pk=pk, assignee=request.user).exists():
        raise PermissionDenied


@login_required
@require_POST
def escalation_action(request, pk: int, action: str):
    _check_role_or_assignee(request, pk)
    escalation = get_object_or_404(escalations_for(request.user), pk=pk)
    try:
        if action == "assign":
            form = AssignForm(request.POST, project_id=escalation.project_id)
            if not form.is_valid():
                raise ServiceError(_("Choose a person who serves this project."), field="assignee")
            svc.escalation_assign(
                escalation=escalation,
                by=request.user,
                assignee=form.cleaned_data["assignee"],
                note=form.cleaned_data["note"],
            )
        elif action == "acknowledge":
            svc.escalation_acknowledge(escalation=escalation, by=request.user)
        elif action == "resolve":
            svc.escalation_resolve(escalation=escalation, by=request.user, note=request.POST.get("note", ""))
        else:
            raise PermissionDenied
    except (svc.NotPermitted, svc.OutOfScope) as exc:
        raise PermissionDenied from exc
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Saved."))
    return redirect("escalations:detail", pk=escalation.pk)
