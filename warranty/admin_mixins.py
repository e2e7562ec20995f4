"""Admin building blocks every app reuses: querysets, choices and filters limited by ``scope``.

Usage::

    @admin.register(Ticket)
    class TicketAdmin(ScopedHistoryAdmin):          # history-tracked model
        ...

    class TicketNoteInline(ScopedAdminMixin, admin.TabularInline):
        ...

A model takes part when it declares ``scope_project_path`` (see
:mod:`warranty.scoping`); models without it (trades, defect categories, the
calendar) are reference data every staff user may read.
"""

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from .scoping import scope


class _SafeAutocomplete:
    """Drop posted values that are not valid keys before the widget looks them up.

    Django's autocomplete widgets re-render an invalid form by filtering on the
    posted value, so a non-numeric id ("' OR 1=1 --") raised ValueError → 500.
    """

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        key = getattr(remote, "field_name", None) or remote.model._meta.pk.name  # M2M relations have none
        field = remote.model._meta.get_field(key)
        valid = []
        for item in value:
            try:
                field.to_python(item)
            except (ValidationError, ValueError, TypeError):
                continue
            valid.append(item)
        return super().optgroups(name, valid, attr)


class SafeAutocompleteSelect(_SafeAutocomplete, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_SafeAutocomplete, AutocompleteSelectMultiple):
    pass


def _make_autocomplete_safe(formfield):
    widget = getattr(formfield, "widget", None)
    if type(widget) is AutocompleteSelect:
        widget.__class__ = SafeAutocompleteSelect
    elif type(widget) is AutocompleteSelectMultiple:
        widget.__class__ = SafeAutocompleteSelectMultiple
    return formfield


def is_scoped(model: type[Model]) -> bool:
    """True when ``scope`` knows how to limit the model."""
    return hasattr(model, "scope_project_path")


def scoped(qs: QuerySet, user) -> QuerySet:
    """``scope(qs, user)`` for scoped models; reference data passes through unchanged."""
    return scope(qs, user) if is_scoped(qs.model) else qs


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter that offers only the objects the user may see.

    The related admin's ``list_select_related`` is reused so the labels cost one query.
    """

    def field_choices(self, field, request, model_admin):
        model = field.related_model
        qs = scoped(model._default_manager.all(), request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            qs = qs.order_by(*ordering)
        try:
            select = model_admin.admin_site.get_model_admin(model).list_select_related
        except NotRegistered:
            select = False
        if isinstance(select, list | tuple):
            qs = qs.select_related(*select)
        return [(obj.pk, str(obj)) for obj in qs]


class ScopedAdminMixin:
    """Limit an admin (or an inline) to what ``request.user`` may see.

    - ``get_queryset`` passes through :meth:`scope_queryset` (changelist, change,
      delete and history views, and the autocomplete results of every form that
      points at this model, since Django's autocomplete view asks this admin);
    - foreign-key and many-to-many choices are scoped, so a posted id from
      another project is a field error ("select a valid choice");
    - ``list_filter`` entries that follow a relation to a scoped model use
      :class:`ScopedRelatedFieldListFilter`;
    - search results (and so autocomplete labels) use ``list_select_related``.

    Override :meth:`scope_queryset` for a model whose rule differs (e.g. rows
    shared by every project).
    """

    def scope_queryset(self, request, qs: QuerySet) -> QuerySet:
        return scoped(qs, request.user)

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _make_autocomplete_safe(super().formfield_for_foreignkey(db_field, request, **kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return _make_autocomplete_safe(super().formfield_for_manytomany(db_field, request, **kwargs))

    def get_field_queryset(self, db, db_field, request):
        qs = super().get_field_queryset(db, db_field, request)
        model = db_field.remote_field.model
        if not is_scoped(model):
            return qs
        if qs is None:
            qs = model._default_manager.using(db).complex_filter(db_field.remote_field.limit_choices_to)
        return scoped(qs, request.user)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Autocomplete labels are __str__, which follows the same relations as the list rows.
        if isinstance(self.list_select_related, list | tuple) and self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        return queryset, may_have_duplicates

    def get_list_filter(self, request):
        filters = []
        for item in super().get_list_filter(request):
            if isinstance(item, str):
                field = get_fields_from_path(self.model, item)[-1]
                if field.is_relation and field.related_model and is_scoped(field.related_model):
                    item = (item, ScopedRelatedFieldListFilter)
            filters.append(item)
        return filters


class ScopedHistoryAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """``SimpleHistoryAdmin`` with scoping, and history read-only.

    simple-history's history views look objects up without ``get_queryset``
    (a deleted or out-of-scope object's history would show), so both views
    check the scope first. Reverting is disabled: it would save an old copy
    past the services and state transitions.
    """

    def revert_disabled(self, request, obj=None):
        return True

    def _require_in_scope(self, request, object_id):
        if request.user.is_superuser or not is_scoped(self.model):
            return
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_in_scope(request, object_id)
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
