"""``manage.py backup [DIR]``: the database (pg_dump, or the SQLite file) plus the media files,
with a manifest of SHA-256 checksums. ``manage.py restore DIR`` puts both back."""

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def pg_env(db: dict) -> dict:
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def pg_args(db: dict) -> list[str]:
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return args


class Command(BaseCommand):
    help = "Back up the database and the media files into a folder with a checksummed manifest."

    def add_arguments(self, parser):
        parser.add_argument("target", nargs="?", help="folder to write (default backups/<timestamp>)")

    def handle(self, *args, target=None, **options):
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path(target or settings.BASE_DIR / "backups" / stamp)
        out.mkdir(parents=True, exist_ok=False)
        db = settings.DATABASES["default"]
        vendor = connection.vendor
        if vendor == "postgresql":
            dump = out / "database.dump"
            cmd = ["pg_dump", "-Fc", "--no-owner", "-f", str(dump), *pg_args(db), str(db["NAME"])]
            result = subprocess.run(cmd, env=pg_env(db), capture_output=True, text=True)
            if result.returncode:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        elif vendor == "sqlite":
            dump = out / "database.sqlite3"
            import sqlite3

            with sqlite3.connect(str(db["NAME"])) as src, sqlite3.connect(str(dump)) as dst:
                src.backup(dst)
        else:
            raise CommandError(f"Unsupported database: {vendor}")
        media = Path(settings.MEDIA_ROOT)
        archive = out / "media.tar.gz"
        files = {}
        with tarfile.open(archive, "w:gz") as tar:
            if media.exists():
                for path in sorted(p for p in media.rglob("*") if p.is_file()):
                    rel = path.relative_to(media).as_posix()
                    files[rel] = sha256(path)
                    tar.add(path, arcname=rel)
        manifest = {
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "database": {"vendor": vendor, "file": dump.name, "sha256": sha256(dump)},
            "media": {"file": archive.name, "sha256": sha256(archive), "files": files},
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        self.stdout.write(f"Backup written to {out} ({len(files)} media files).")
        return None


def verify(folder: Path) -> dict:
    manifest = json.loads((folder / "manifest.json").read_text())
    for part in ("database", "media"):
        entry = manifest[part]
        if sha256(folder / entry["file"]) != entry["sha256"]:
            raise CommandError(f"Checksum mismatch: {entry['file']} is damaged.")
    return manifest


def restore(folder: Path, *, stdout=None) -> None:
    manifest = verify(folder)
    db = settings.DATABASES["default"]
    if manifest["database"]["vendor"] != connection.vendor:
        raise CommandError("The backup is of another database kind than the configured one.")
    connection.close()
    if connection.vendor == "postgresql":
        cmd = [
            "pg_restore",
            "--no-owner",
            "--clean",
            "--if-exists",
            "-d",
            str(db["NAME"]),
            *pg_args(db),
            str(folder / manifest["database"]["file"]),
        ]
        result = subprocess.run(cmd, env=pg_env(db), capture_output=True, text=True)
        if result.returncode:
            raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
    else:
        shutil.copyfile(folder / manifest["database"]["file"], db["NAME"])
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / manifest["media"]["file"], "r:gz") as tar:
        tar.extractall(media, filter="data")
    for rel, digest in manifest["media"]["files"].items():
        if sha256(media / rel) != digest:
            raise CommandError(f"Restored file {rel} does not match its checksum.")
