"""Roles as groups, trades, defect categories with the statutory owner-warranty periods
(PRC 房屋建筑工程质量保修办法 art. 7), seasons, and the workday calendar for 2020–2026."""

import datetime as dt

from django.db import migrations

ROLES = [
    "front_desk", "steward", "director", "engineer", "customer_service",
    "project_gm", "contractor", "project_dept", "finance",
]

TRADES = [
    ("general", "总包", "General contractor"),
    ("waterproofing", "防水", "Waterproofing"),
    ("windows", "门窗", "Doors and windows"),
    ("fitout", "精装修", "Fit-out"),
    ("hvac", "暖通", "HVAC"),
    ("mep", "水电安装", "Plumbing and electrical installation"),
    ("equipment", "设备安装", "Equipment installation"),
]

# code, zh, en, trade, period kind, length, season kind
CATEGORIES = [
    ("structure", "地基基础和主体结构", "Foundation and main structure", "general", "design_life", 0, ""),
    ("waterproofing", "防水与渗漏", "Waterproofing and leaks", "waterproofing", "years", 5, ""),
    ("civil", "土建", "Civil works", "general", "years", 2, ""),
    ("plumbing_electrical", "水电", "Plumbing and electrical", "mep", "years", 2, ""),
    ("heating", "暖通·供热", "HVAC: heating", "hvac", "seasons", 2, "heating"),
    ("cooling", "暖通·供冷", "HVAC: cooling", "hvac", "seasons", 2, "cooling"),
    ("doors_windows", "门窗", "Doors and windows", "windows", "years", 2, ""),
    ("fitout", "精装修", "Fit-out and decoration", "fitout", "years", 2, ""),
    ("equipment", "设备安装", "Equipment installation", "equipment", "years", 2, ""),
]


def seed(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Trade = apps.get_model("warranty", "Trade")
    DefectCategory = apps.get_model("warranty", "DefectCategory")
    WarrantyPeriod = apps.get_model("warranty", "WarrantyPeriod")
    CalendarDay = apps.get_model("warranty", "CalendarDay")

    for role in ROLES:
        Group.objects.get_or_create(name=role)
    trades = {}
    for code, zh, en in TRADES:
        trades[code], _ = Trade.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en})
    for order, (code, zh, en, trade, kind, length, season) in enumerate(CATEGORIES):
        category, _ = DefectCategory.objects.get_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "trade": trades[trade], "sort_order": order}
        )
        WarrantyPeriod.objects.get_or_create(
            category=category, project=None, defaults={"kind": kind, "length": length, "season_kind": season}
        )

    import chinese_calendar
    import chinese_calendar.constants as constants

    zh_names = {h.value: getattr(h, "chinese", h.value) for h in constants.Holiday}
    rows = []
    day = dt.date(2020, 1, 1)
    while day.year <= 2026:
        _on_holiday, name = chinese_calendar.get_holiday_detail(day)
        workday = chinese_calendar.is_workday(day)
        label = zh_names.get(name, name) if name else ""
        if name and workday:
            label = f"{label} (调休上班)"
        rows.append(CalendarDay(date=day, is_workday=workday, name=label[:50]))
        day += dt.timedelta(days=1)
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("warranty", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop, hints={"reference_data": True})]
