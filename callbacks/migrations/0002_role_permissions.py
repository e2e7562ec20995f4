"""The director (an admin role) reads the callback records in the admin and creates survey campaigns."""

from django.db import migrations

from warranty.migration_utils import ensure_permissions

VIEW = ["callback", "followupcase", "notificationround", "jointreinspection", "contactchangetask",
        "dossieraccess", "surveycampaign", "surveyresponse"]
GRANTS = {"director": [f"view_{m}" for m in VIEW] + ["add_surveycampaign", "change_surveycampaign"]}


def grant(apps, schema_editor):
    ensure_permissions(apps, "callbacks")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="callbacks", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("callbacks", "0001_initial"), ("warranty", "0003_admin_role_permissions")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
