"""The callback admin: read-only, scoped to the director's projects."""

import pytest
from django.urls import reverse

from callbacks import services as cs
from callbacks.models import Callback
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["callback", "followupcase", "notificationround", "jointreinspection", "contactchangetask", "dossieraccess"]


@pytest.mark.parametrize("model", PAGES)
def test_director_reads_the_changelists(client, world, in_callback, model):
    client.force_login(world.users["director"])
    page = client.get(reverse(f"admin:callbacks_{model}_changelist"))
    assert page.status_code == 200
    if model in ("callback", "notificationround"):
        assert in_callback.number.encode() in page.content


def test_callback_admin_is_read_only_and_scoped(client, world, in_callback):
    callback = Callback.objects.get(ticket=in_callback)
    client.force_login(world.users["director"])
    url = reverse("admin:callbacks_callback_change", args=[callback.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"status": "done"}).status_code == 403
    assert client.get(reverse("admin:callbacks_callback_add")).status_code == 403
    client.force_login(UserFactory(role="director", projects=[world.other_project]))
    changelist = client.get(reverse("admin:callbacks_callback_changelist"))
    assert in_callback.number.encode() not in changelist.content
    assert client.get(url).status_code in (302, 404)


def test_archive_search_is_scoped(client, world, in_callback):
    cs.callback_record(
        callback=in_callback.callback,
        by=world.users["customer_service"],
        answer=cs.CallbackAnswer(
            reached=True, resolved=True, quality="satisfied", attitude="satisfied", timeliness="satisfied"
        ),
    )
    client.force_login(world.users["steward"])
    page = client.get(reverse("callbacks:archive"), {"q": "3-2-1201"})
    assert in_callback.number.encode() in page.content
    client.force_login(world.users["outsider"])
    assert in_callback.number.encode() not in client.get(reverse("callbacks:archive")).content
    client.force_login(world.users["front_desk"])
    assert client.get(reverse("callbacks:archive")).status_code == 403
