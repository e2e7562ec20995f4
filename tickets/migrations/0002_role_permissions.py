"""Grant the ticket transition permissions to the role groups (STYLE.md point 4)."""

from django.db import migrations

from warranty.migration_utils import ensure_permissions

GRANTS = {
    "front_desk": ["confirm_intake", "resolve_by_phone", "dispatch_ticket", "view_ticket"],
    "steward": [
        "resolve_by_phone", "triage_ticket", "refer_ticket", "dispatch_ticket", "withdraw_dispatch",
        "complete_repair", "return_to_repair", "sign_off_ticket", "view_ticket",
    ],
    "director": [
        "confirm_intake", "resolve_by_phone", "triage_ticket", "refer_ticket", "dispatch_ticket",
        "withdraw_dispatch", "complete_repair", "return_to_repair", "sign_off_ticket", "archive_ticket",
        "reopen_ticket", "cancel_ticket", "approve_plan", "sign_jointly_director", "view_ticket",
    ],
    "engineer": ["complete_repair", "return_to_repair", "view_ticket"],
    "customer_service": ["archive_ticket", "reopen_ticket", "sign_jointly_cs", "view_ticket"],
    "project_gm": ["approve_major_closure", "cancel_ticket", "view_ticket"],
    "contractor": ["withdraw_dispatch", "complete_repair"],
    "project_dept": ["view_ticket"],
    "finance": ["view_ticket"],
}


def grant(apps, schema_editor):
    ensure_permissions(apps, "tickets")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(content_type__app_label="tickets", codename__in=codenames)
        group.permissions.add(*perms)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial"), ("warranty", "0002_seed_reference_data")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop, hints={"reference_data": True})]
