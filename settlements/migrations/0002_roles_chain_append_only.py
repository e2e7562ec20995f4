"""Role grants for settlements, the default countersignature chain, and a database guard on the ledger."""

from django.db import migrations

from warranty.migration_utils import ensure_permissions

VIEW_ALL = [
    "view_warrantyfund",
    "view_ledgerentry",
    "view_overdraftapproval",
    "view_commissionedrepair",
    "view_costline",
    "view_paymentapplication",
    "view_countersignature",
    "view_paidrepairquote",
    "view_quoteline",
    "view_ownerpayment",
    "view_reconciliation",
    "view_reconciliationline",
    "view_countersignstep",
]

GRANTS = {
    "director": [
        "commission_repair",
        "add_paidrepairquote",
        "view_commissionedrepair",
        "view_costline",
        "view_paidrepairquote",
    ],
    "steward": ["add_paidrepairquote", "view_commissionedrepair", "view_costline", "view_paidrepairquote"],
    "customer_service": [
        "audit_cost_lines",
        "countersign_paymentapplication",
        "reject_paymentapplication",
        "sign_reconciliation_cs",
        *VIEW_ALL,
    ],
    "contractor": ["enter_cost_lines", "submit_paymentapplication"],
    "project_dept": [
        "open_warrantyfund",
        "countersign_paymentapplication",
        "reject_paymentapplication",
        "prepare_reconciliation",
        "sign_reconciliation_dept",
        *VIEW_ALL,
    ],
    "finance": [
        "approve_paymentapplication",
        "pay_paymentapplication",
        "reject_paymentapplication",
        "record_owner_payment",
        "release_warrantyfund",
        "adjust_ledger",
        "approve_overdraft",
        *VIEW_ALL,
    ],
}

DEFAULT_CHAIN = ["customer_service", "project_dept"]

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION settlements_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'warranty-fund ledger entries are append-only (book an adjustment instead)';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER settlements_ledger_append_only
    BEFORE UPDATE OR DELETE ON settlements_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION settlements_ledger_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS settlements_ledger_append_only ON settlements_ledgerentry;
DROP FUNCTION IF EXISTS settlements_ledger_append_only();
"""


def grant(apps, schema_editor):
    ensure_permissions(apps, "settlements")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(content_type__app_label="settlements", codename__in=codenames)
        group.permissions.add(*perms)
    CountersignStep = apps.get_model("settlements", "CountersignStep")
    for position, role in enumerate(DEFAULT_CHAIN, start=1):
        CountersignStep.objects.get_or_create(project=None, position=position, defaults={"role": role})


def guard_ledger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)


def unguard_ledger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("settlements", "0001_initial"),
        ("tickets", "0002_role_permissions"),
        ("warranty", "0002_seed_reference_data"),
    ]
    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop, hints={"reference_data": True}),
        migrations.RunPython(guard_ledger, unguard_ledger),
    ]
