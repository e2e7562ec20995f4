"""warranty.db.alongside: two independent halves of a page's reads at once, on two connections.

Transactional tests: the helper's connection must see committed rows, and it is only used outside a
transaction (a test's own transaction would hide its rows from another connection).
"""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone, translation

from warranty import db

pytestmark = pytest.mark.django_db(transaction=True)


def who() -> tuple:
    """This call's database backend, thread, time zone and language."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    return pid, threading.current_thread().name, timezone.get_current_timezone_name(), translation.get_language()


def test_the_second_call_runs_on_its_own_connection_with_the_callers_time_zone_and_language():
    with timezone.override("Europe/Paris"), translation.override("en"):
        here, there = db.alongside(who, who)
    assert here[0] != there[0]
    assert here[1] == threading.current_thread().name
    assert there[1].startswith("db-alongside")
    assert here[2:] == there[2:] == ("Europe/Paris", "en")


def test_without_conn_max_age_the_helpers_connection_is_closed_after_the_call():
    _here, there = db.alongside(who, who)
    with connection.cursor() as cursor:
        for _ in range(50):  # the server process ends just after the client hangs up
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [there[0]])
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the helper thread's connection is still open")


def test_inside_a_transaction_or_when_switched_off_both_run_here(settings):
    with transaction.atomic():
        here, there = db.alongside(who, who)
    assert here[:2] == there[:2]
    settings.DB_READS_ALONGSIDE = False
    here, there = db.alongside(who, who)
    assert here[:2] == there[:2]


def test_an_error_on_either_side_reaches_the_caller_and_the_helper_is_left_idle():
    def fails():
        raise ValueError("the helper's half")

    with pytest.raises(ValueError, match="the helper's half"):
        db.alongside(who, fails)
    started = threading.Event()
    finished = []

    def slow():
        started.set()
        time.sleep(0.2)
        finished.append(True)

    def fails_here():
        started.wait(5)
        raise KeyError("this half")

    with pytest.raises(KeyError):
        db.alongside(fails_here, slow)
    assert finished == [True]  # waited for before the error was raised
    assert db.alongside(who, who)[1][1].startswith("db-alongside")  # and the helper still serves
