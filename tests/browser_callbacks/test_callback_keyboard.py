"""A phone agent takes a whole callback with the keyboard alone (no clicks after login)."""

import pytest

from callbacks.models import Callback
from tests.tickets.lifecycle import advance, fresh, new_ticket
from tickets.models import State

from .conftest import SCREENSHOTS, login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_callback_taken_with_the_keyboard_alone(live_server, page, world):
    ticket = advance(world, new_ticket(world), State.CALLBACK)
    login(page, live_server, "customer_service")
    page.goto(f"{live_server.url}/callbacks/take/{ticket.number}/")
    page.wait_for_load_state("networkidle")
    kb = page.keyboard

    # The first question has the focus; hidden questions are skipped by Tab.
    assert page.evaluate("document.activeElement.name") == "reached"
    assert page.locator("#q-resolved").is_hidden()
    kb.press("Space")  # reached: yes
    kb.press("Tab")
    assert page.evaluate("document.activeElement.name") == "resolved"
    kb.press("Space")  # resolved: yes
    kb.press("Tab")
    kb.press("Space")  # quality: satisfied
    kb.press("Tab")
    kb.press("ArrowRight")  # attitude: neutral
    kb.press("Tab")
    kb.press("Space")  # timeliness: satisfied
    assert page.locator("#q-meets_standard").is_hidden()
    kb.press("Tab")
    assert page.evaluate("document.activeElement.name") == "suggestions"
    kb.type("希望提前电话预约")
    kb.press("Tab")
    assert page.evaluate("document.activeElement.name") == "non_warranty_issues"
    kb.type("小区门禁坏了")
    kb.press("Tab")
    assert page.evaluate("document.activeElement.name") == "note"
    page.screenshot(path=str(SCREENSHOTS / "callback_keyboard_form.png"), full_page=True)
    with page.expect_navigation():
        kb.press("Enter")
    page.screenshot(path=str(SCREENSHOTS / "callback_keyboard_done.png"), full_page=True)
    assert page.url.endswith("/callbacks/")

    ticket = fresh(ticket)
    callback = Callback.objects.get(ticket=ticket)
    assert ticket.state == State.ARCHIVED
    assert (callback.quality, callback.attitude, callback.timeliness) == ("satisfied", "neutral", "satisfied")
    assert callback.suggestions == "希望提前电话预约" and callback.non_warranty_issues == "小区门禁坏了"
    assert callback.outcome == Callback.Outcome.ARCHIVED
