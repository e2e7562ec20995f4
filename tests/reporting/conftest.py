"""A small hand-built month (March 2026, Asia/Shanghai) whose right answers are written in the tests.

Rows are created directly with explicit timestamps (history is not needed for the measures).
Batch A has 10 units, batch B has 10 units.

    ticket unit loc      category      created (Shanghai)  signed off   closed / resolution          repeat_of contractor
    T1     A1   bathroom waterproofing 03-02 10:00         03-04 10:00  03-06 archived resolved      -         general
    T2     A2   bathroom waterproofing 03-03 10:00         03-07 10:00  03-09 archived resolved      -         general
    T3     A2   kitchen  plumbing      03-05 10:00         03-11 10:00  03-12 archived unresolved    -         waterproof
    T4     A2   kitchen  plumbing      03-12 10:00         -            (repair)                     T3        waterproof
    T5     A2   bathroom waterproofing 03-20 10:00         -            (triage)                     T2        -
    T6     B1   bathroom waterproofing 02-20 10:00         03-02 10:00  03-03 archived resolved      -         -
    T7     B2   living   civil         03-31 23:59         -            (intake)                     -         -
    T8     B3   living   civil         04-01 00:01         -            (intake)                     -         -
    T9     A3   entrance civil         03-10 10:00         -            03-10 resolved by phone      -         -
    T10    B4   balcony  civil         01-01 10:00         -            (dispatch)                   -         -

Callbacks (reached unless said): T1 S/S/S 03-05; T2 S/N/S 03-08; T3 D/S/– 03-12; T6 not reached 03-03.
"""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from callbacks.models import Callback, CallbackAttempt
from tests.factories import BuildingFactory, DeliveryBatchFactory, UnitFactory, category
from tests.tickets.conftest import world  # noqa: F401  (the shared fixture)
from tickets.models import Appointment, DispatchNotice, Report, SlaClock, SlaPolicy, State, Ticket

SH = ZoneInfo("Asia/Shanghai")


def data_queries(ctx) -> list[str]:
    """Captured SQL without the transaction bookkeeping (savepoints, SET LOCAL jit)."""
    skip = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "SET LOCAL")
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(skip)]


def at(text: str) -> dt.datetime:
    """'2026-03-02 10:00' in Shanghai time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def make_ticket(project, unit, n, *, created, cat, location, state=State.INTAKE, **fields) -> Ticket:
    report = Report.objects.create(
        number=f"T{project.code}{n:04d}",
        project=project,
        unit=unit,
        reporter_name="业主",
        contact_phone="+8613800000000",
        received_at=created,
    )
    return Ticket.objects.create(
        report=report,
        seq=1,
        number=f"{report.number}-1",
        project=project,
        unit=unit,
        location=location,
        category=category(cat),
        description=f"缺陷 {n}",
        state=state,
        created_at=created,
        **fields,
    )


def make_callback(ticket, *, called, by, reached=True, q="", a="", t="", **fields) -> Callback:
    """A callback as callbacks.services.callback_record leaves it: the answers, and the call as an attempt."""
    callback = Callback.objects.create(
        ticket=ticket,
        status=Callback.Status.DONE if reached else Callback.Status.DUE,
        due_from=called.date(),
        due_by=called.date(),
        reached=reached,
        called_at=called,
        quality=q,
        attitude=a,
        timeliness=t,
        **fields,
    )
    CallbackAttempt.objects.create(callback=callback, at=called, reached=reached, by=by)
    return callback


def make_clock(ticket, code, *, due, stopped=None):
    policy = SlaPolicy.objects.get(code=code, project=None)
    return SlaClock.objects.create(
        policy=policy,
        code=code,
        project=ticket.project,
        ticket=ticket,
        started_at=due - dt.timedelta(hours=2),
        warn_at=due - dt.timedelta(minutes=30),
        due_at=due,
        stopped_at=stopped,
    )


def make_visit(ticket, contractor, by, *, scheduled, deviation, n, status=DispatchNotice.Status.ACCEPTED):
    appointment = Appointment.objects.create(
        ticket=ticket,
        kind=Appointment.Kind.REPAIR,
        scheduled_at=scheduled,
        arrived_at=scheduled + dt.timedelta(minutes=deviation),
        deviation_minutes=deviation,
        outcome=Appointment.Outcome.DONE,
        created_by=by,
    )
    return DispatchNotice.objects.create(
        number=f"F02-{ticket.number}-{n}",
        ticket=ticket,
        contractor=contractor,
        appointment=appointment,
        issued_at=scheduled - dt.timedelta(hours=1),
        issued_by=by,
        status=status,
    )


@pytest.fixture
def month(world):  # noqa: F811
    p = world.project
    building_a = world.unit.building
    a = [world.unit] + [UnitFactory(building=building_a, number=f"3-1-{i:02d}01") for i in range(2, 11)]
    batch_b = DeliveryBatchFactory(
        project=p, name="二期", acceptance_date=world.batch.acceptance_date, delivery_date=world.batch.delivery_date
    )
    building_b = BuildingFactory(project=p, batch=batch_b, name="8")
    b = [UnitFactory(building=building_b, number=f"8-1-{i:02d}01") for i in range(1, 11)]
    steward = world.users["steward"]
    general, waterproof = world.general, world.waterproof

    t1 = make_ticket(
        p, a[0], 1, created=at("2026-03-02 10:00"), cat="waterproofing", location="bathroom",
        state=State.ARCHIVED, resolution="resolved", signed_off_at=at("2026-03-04 10:00"),
        closed_at=at("2026-03-06 10:00"), repairing_contractor=general, steward=steward,
    )  # fmt: skip
    t2 = make_ticket(
        p, a[1], 2, created=at("2026-03-03 10:00"), cat="waterproofing", location="bathroom",
        state=State.ARCHIVED, resolution="resolved", signed_off_at=at("2026-03-07 10:00"),
        closed_at=at("2026-03-09 10:00"), repairing_contractor=general, steward=steward,
    )  # fmt: skip
    t3 = make_ticket(
        p, a[1], 3, created=at("2026-03-05 10:00"), cat="plumbing_electrical", location="kitchen",
        state=State.ARCHIVED, resolution="unresolved", signed_off_at=at("2026-03-11 10:00"),
        closed_at=at("2026-03-12 10:00"), repairing_contractor=waterproof, steward=steward,
    )  # fmt: skip
    t4 = make_ticket(
        p, a[1], 4, created=at("2026-03-12 10:00"), cat="plumbing_electrical", location="kitchen",
        state=State.REPAIR, repeat_of=t3, repairing_contractor=waterproof, steward=steward,
    )  # fmt: skip
    t5 = make_ticket(
        p, a[1], 5, created=at("2026-03-20 10:00"), cat="waterproofing", location="bathroom",
        state=State.TRIAGE, repeat_of=t2,
    )  # fmt: skip
    t6 = make_ticket(
        p, b[0], 6, created=at("2026-02-20 10:00"), cat="waterproofing", location="bathroom",
        state=State.ARCHIVED, resolution="resolved", signed_off_at=at("2026-03-02 10:00"),
        closed_at=at("2026-03-03 10:00"),
    )  # fmt: skip
    t7 = make_ticket(p, b[1], 7, created=at("2026-03-31 23:59"), cat="civil", location="living_room")
    t8 = make_ticket(p, b[2], 8, created=at("2026-04-01 00:01"), cat="civil", location="living_room")
    t9 = make_ticket(
        p, a[2], 9, created=at("2026-03-10 10:00"), cat="civil", location="entrance",
        state=State.ARCHIVED, resolution="resolved_by_phone", closed_at=at("2026-03-10 10:30"),
    )  # fmt: skip
    t10 = make_ticket(
        p, b[3], 10, created=at("2026-01-01 10:00"), cat="civil", location="balcony", state=State.DISPATCH
    )

    cs = world.users["customer_service"]
    make_callback(t1, called=at("2026-03-05 15:00"), by=cs, q="satisfied", a="satisfied", t="satisfied")
    make_callback(t2, called=at("2026-03-08 15:00"), by=cs, q="satisfied", a="neutral", t="satisfied")
    make_callback(t3, called=at("2026-03-12 09:00"), by=cs, q="dissatisfied", a="satisfied", t="")
    make_callback(t6, called=at("2026-03-03 09:00"), by=cs, reached=False)

    make_clock(t1, "first_contact", due=at("2026-03-02 12:00"), stopped=at("2026-03-02 11:00"))  # on time
    make_clock(t2, "first_contact", due=at("2026-03-03 12:00"), stopped=at("2026-03-03 13:00"))  # late
    make_clock(t7, "first_contact", due=at("2026-04-01 01:59"))  # due after the period: not decided
    make_clock(t6, "first_contact", due=at("2026-02-20 12:00"), stopped=at("2026-02-20 11:00"))  # before
    make_clock(t3, "dispatch_general", due=at("2026-03-05 12:00"))  # running, overdue: late
    make_clock(t1, "dispatch_general", due=at("2026-03-02 12:00"), stopped=at("2026-03-02 12:00"))  # at due: on time
    make_clock(t2, "dispatch_general", due=at("2026-03-03 12:00"), stopped=at("2026-03-03 11:00"))  # on time

    make_visit(t1, general, steward, scheduled=at("2026-03-03 09:00"), deviation=5, n=1)
    make_visit(t2, general, steward, scheduled=at("2026-03-04 09:00"), deviation=0, n=1,
               status=DispatchNotice.Status.DECLINED)  # fmt: skip
    make_visit(t2, general, steward, scheduled=at("2026-03-05 09:00"), deviation=20, n=2)
    make_visit(t3, waterproof, steward, scheduled=at("2026-03-06 09:00"), deviation=-10, n=1)
    # The declined notice's appointment had no arrival in reality: remove it from the arrivals.
    Appointment.objects.filter(scheduled_at=at("2026-03-04 09:00")).update(arrived_at=None, deviation_minutes=None)

    return SimpleNamespace(
        world=world,
        project=p,
        batch_a=world.batch,
        batch_b=batch_b,
        a=a,
        b=b,
        t=[None, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10],
    )
