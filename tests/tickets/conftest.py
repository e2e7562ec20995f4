"""A small world for lifecycle tests: one project with a unit, an owner, engagements and one user per role."""

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tests.factories import (
    BuildingFactory,
    ContractorFactory,
    DeliveryBatchFactory,
    EngagementFactory,
    OwnershipFactory,
    ProjectFactory,
    UnitFactory,
    UserFactory,
    category,
    trade,
)
from tickets.models import Escalation, Location
from tickets.services import DefectInput, report_create

ROLES = [
    "front_desk",
    "steward",
    "director",
    "engineer",
    "customer_service",
    "project_gm",
    "contractor",
    "project_dept",
    "finance",
]


def png_bytes(color=(200, 30, 30), size=(40, 30), ink=True) -> bytes:
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    if ink:
        for x in range(5, 35):
            image.putpixel((x, 15), (0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def jpeg_upload(name="leak.jpg", size=(64, 48)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 160, 200)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def world(db):
    project = ProjectFactory(code="YQF", name="云栖府")
    other_project = ProjectFactory(code="LW", name="澜湾")
    today = timezone.localdate()
    batch = DeliveryBatchFactory(
        project=project, acceptance_date=today - dt.timedelta(days=200), delivery_date=today - dt.timedelta(days=100)
    )
    building = BuildingFactory(project=project, batch=batch, name="3")
    unit = UnitFactory(building=building, number="3-2-1201")
    ownership = OwnershipFactory(unit=unit)
    general = ContractorFactory(name="浙江恒建总承包有限公司")
    general.users.add  # noqa: B018  (reverse accessor exists)
    waterproof = ContractorFactory(name="杭州固水防水工程有限公司")
    third_party = ContractorFactory(name="杭州快修物业维修服务有限公司", is_commissionable=True)
    EngagementFactory(contractor=general, project=project, trade=trade("general"), warranty_months=24)
    EngagementFactory(contractor=waterproof, project=project, trade=trade("waterproofing"), warranty_months=60)
    users = {role: UserFactory(role=role, projects=[project], username=role) for role in ROLES if role != "contractor"}
    users["contractor"] = UserFactory(role="contractor", contractor=general, username="contractor")
    users["waterproof_contractor"] = UserFactory(role="contractor", contractor=waterproof, username="wp_contractor")
    users["director2"] = UserFactory(role="director", projects=[project], username="director2")
    users["outsider"] = UserFactory(role="steward", projects=[other_project], username="outsider")
    return SimpleNamespace(
        project=project,
        other_project=other_project,
        batch=batch,
        unit=unit,
        owner=ownership.owner,
        general=general,
        waterproof=waterproof,
        third_party=third_party,
        users=users,
    )


def new_report(world, *, defects=None, by=None, **kwargs):
    defects = defects or [
        DefectInput(location=Location.MASTER_BATHROOM, category=category("waterproofing"), description="主卫顶棚渗水")
    ]
    return report_create(
        by=by or world.users["front_desk"],
        unit=world.unit,
        reporter_name=world.owner.name,
        contact_phone=str(world.owner.phone),
        defects=defects,
        **kwargs,
    )


def in_future(hours=2):
    return timezone.now() + dt.timedelta(hours=hours)


def escalate(ticket, reason, follower=None, **fields):
    """An open escalation of ``ticket`` (as the SLA sweep raises it), followed by ``follower``."""
    return Escalation.objects.create(
        reason=reason,
        subject_key=f"ticket:{ticket.pk}",
        project_id=ticket.project_id,
        ticket=ticket,
        summary="…",
        raised_at=timezone.now(),
        assignee=follower,
        **fields,
    )
