"""Model permissions for the roles that work in the Django admin (warranty.roles.ADMIN_ROLES).

project_dept keeps the registry and the contractors' engagements (it opens the
warranty-fund ledger, DOMAIN §7); finance reads; the director reads and keeps
owner contacts and the workday calendar up to date. Scoping to the projects a
user serves is the admin's job (warranty.admin_mixins), not the permission's.
"""

from django.db import migrations

from warranty.migration_utils import ensure_permissions

ALL_MODELS = [
    "project", "season", "deliverybatch", "building", "unit", "owner", "ownership",
    "trade", "contractor", "engagement", "defectcategory", "warrantyperiod", "calendarday",
]
REGISTRY = ["deliverybatch", "building", "unit", "owner", "ownership", "contractor", "engagement", "season"]

GRANTS = {
    "project_dept": {
        "view": ALL_MODELS,
        "add": REGISTRY,
        "change": ["project", *REGISTRY],
    },
    "finance": {"view": ALL_MODELS},
    "director": {
        "view": ALL_MODELS,
        "add": ["owner", "ownership", "calendarday"],
        "change": ["unit", "owner", "ownership", "calendarday"],
    },
}


def _ensure_permissions(apps):
    ensure_permissions(apps, "warranty")


def _permissions(apps, role):
    Permission = apps.get_model("auth", "Permission")
    codenames = [f"{action}_{model}" for action, models in GRANTS[role].items() for model in models]
    perms = list(Permission.objects.filter(content_type__app_label="warranty", codename__in=codenames))
    missing = set(codenames) - {p.codename for p in perms}
    if missing:
        raise LookupError(f"Missing permissions for {role}: {sorted(missing)}")
    return perms


def grant(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    for role in GRANTS:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*_permissions(apps, role))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in GRANTS:
        group = Group.objects.filter(name=role).first()
        if group:
            group.permissions.remove(*_permissions(apps, role))


class Migration(migrations.Migration):
    dependencies = [
        ("warranty", "0002_seed_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke, hints={"reference_data": True})]
