"""Seed the default SLA policies of DOMAIN §4 (a frozen copy of tickets/sla/defaults.py)."""

from django.db import migrations

POLICIES = [{'code': 'first_contact',
  'start_events': ['reported', 'created_as_repeat'],
  'stop_events': ['contact_first_contact_reached'],
  'anchor': 'ticket_created',
  'target': 2,
  'unit': 'hours',
  'calendar': 'working_hours',
  'warn_roles': ['front_desk'],
  'breach_roles': ['front_desk', 'director'],
  'ladder': ['steward', 'director', 'project_gm']},
 {'code': 'dispatch_general',
  'start_events': ['reported', 'created_as_repeat'],
  'stop_events': ['dispatch'],
  'anchor': 'ticket_created',
  'target': 2,
  'unit': 'hours',
  'calendar': 'working_hours',
  'warn_roles': ['steward', 'front_desk'],
  'breach_roles': ['director'],
  'ladder': ['steward', 'director', 'project_gm']},
 {'code': 'dispatch_complex',
  'start_events': ['triage'],
  'stop_events': ['dispatch'],
  'anchor': 'ticket_created',
  'target': 12,
  'unit': 'hours',
  'calendar': 'working_hours',
  'warn_roles': ['director', 'engineer'],
  'breach_roles': ['director'],
  'ladder': ['steward', 'director', 'project_gm']},
 {'code': 'repair_finished',
  'start_events': ['reported', 'created_as_repeat', 'return_to_repair'],
  'stop_events': ['complete_repair'],
  'anchor': 'ticket_created',
  'target': 7,
  'unit': 'days',
  'calendar': '24x7',
  'warn_roles': ['steward'],
  'breach_roles': ['director', 'project_gm'],
  'ladder': ['steward', 'director', 'project_gm'],
  'escalation_reason': 'open_7_days'},
 {'code': 'progress_feedback',
  'start_events': ['dispatch', 'contact_progress_reached'],
  'stop_events': ['contact_progress_reached', 'complete_repair', 'withdraw_dispatch'],
  'anchor': 'event',
  'target': 48,
  'unit': 'hours',
  'calendar': '24x7',
  'warn_roles': ['steward'],
  'breach_roles': ['steward', 'director'],
  'ladder': ['steward', 'director', 'project_gm']},
 {'code': 'progress_feedback_long',
  'start_events': ['dispatch', 'contact_progress_reached'],
  'stop_events': ['contact_progress_reached', 'complete_repair', 'withdraw_dispatch'],
  'anchor': 'event',
  'target': 56,
  'unit': 'hours',
  'calendar': '24x7',
  'warn_roles': ['steward'],
  'breach_roles': ['steward', 'director'],
  'ladder': ['steward', 'director', 'project_gm']},
 {'code': 'owner_retry',
  'start_events': ['contact_completion_not_reached'],
  'stop_events': ['contact_completion_not_reached', 'contact_completion_reached'],
  'anchor': 'event',
  'target': 2,
  'unit': 'days',
  'calendar': '24x7',
  'warn_roles': ['front_desk'],
  'breach_roles': ['front_desk', 'customer_service'],
  'ladder': ['front_desk', 'director']},
 {'code': 'callback',
  'start_events': ['sign_off'],
  'stop_events': ['archive', 'reopen'],
  'anchor': 'event',
  'target': 3,
  'unit': 'workdays',
  'calendar': 'working_hours',
  'warn_roles': ['customer_service'],
  'breach_roles': ['customer_service', 'director'],
  'ladder': ['customer_service', 'director', 'project_gm']},
 {'code': 'warranty_fund_ledger',
  'start_events': [],
  'stop_events': [],
  'anchor': 'event',
  'target': 1,
  'unit': 'months',
  'calendar': '24x7',
  'warn_roles': ['project_dept'],
  'breach_roles': ['project_dept', 'director'],
  'ladder': ['project_dept', 'director', 'project_gm']}]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    for row in POLICIES:
        SlaPolicy.objects.get_or_create(code=row["code"], project=None, defaults={k: v for k, v in row.items() if k != "code"})


def unseed(apps, schema_editor):
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    SlaPolicy.objects.filter(project=None, code__in=[row["code"] for row in POLICIES], clocks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_sla")]

    operations = [migrations.RunPython(seed, unseed)]
