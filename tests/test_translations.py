"""The zh-hans catalog is complete, compiled, and actually used.

When these fail after new strings were added:

    python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var --ignore=tests --no-obsolete
    (translate every empty msgstr in locale/zh_Hans/LC_MESSAGES/django.po, clear "#, fuzzy")
    python manage.py compilemessages --ignore=.venv
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

ZH_PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"\s*$')
_CONTINUATION = re.compile(r'^"(.*)"\s*$')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_PYTHON_PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-+ #0]*\d*(?:\.\d+)?[sdifr%]")
_BRACE_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _unescape(text):
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text)


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index → text; 0 for singular entries
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    line: int = 0

    @property
    def label(self):
        where = " ".join(self.references) or f"django.po line {self.line}"
        context = f" [context {self.msgctxt!r}]" if self.msgctxt is not None else ""
        return f"{self.msgid!r}{context} ({where})"


def parse_po(path):
    """msgid/msgstr blocks of a .po file: contexts, plurals, multi-line strings, flags; obsolete (#~) entries skipped."""
    entries, entry, target = [], None, None

    def finish():
        if entry is not None and (entry.msgid or entry.msgid_plural or entry.msgctxt):  # not the header
            entries.append(entry)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            entry, target = None, None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = Entry(line=number)
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
        elif line.startswith("#:"):
            entry.references.extend(line[2:].split())
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            keyword, index, text = match.group(1), match.group(2), _unescape(match.group(3))
            if keyword == "msgctxt" and (entry.msgid or entry.msgstr):  # a new entry without a blank line between
                finish()
                entry = Entry(line=number)
            if keyword.startswith("msgstr"):
                target = ("msgstr", int(index or 0))
                entry.msgstr[target[1]] = text
            else:
                target = (keyword, None)
                setattr(entry, keyword, text)
        elif match := _CONTINUATION.match(line):
            text = _unescape(match.group(1))
            if target is None:
                raise AssertionError(f"{path}:{number}: string continuation outside an entry")
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += text
            else:
                setattr(entry, name, getattr(entry, name) + text)
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def zh_entries():
    entries = parse_po(ZH_PO)
    assert len(entries) > 100, f"{ZH_PO} looks empty or unparsable ({len(entries)} entries)"
    return entries


def _offenders(title, entries):
    return f"{len(entries)} {title} in {ZH_PO.relative_to(settings.BASE_DIR)}:\n" + "\n".join(
        f"  - {entry.label}" for entry in entries
    )


def test_every_zh_hans_message_is_translated(zh_entries):
    missing = [e for e in zh_entries if not e.msgstr or not all(text.strip() for text in e.msgstr.values())]
    if missing:
        pytest.fail(_offenders("msgids without a Chinese translation (empty msgstr)", missing), pytrace=False)


def test_no_zh_hans_translation_is_fuzzy(zh_entries):
    fuzzy = [e for e in zh_entries if "fuzzy" in e.flags]
    if fuzzy:
        pytest.fail(
            _offenders('fuzzy translations (Django ignores them: check each and remove "#, fuzzy")', fuzzy),
            pytrace=False,
        )


def test_zh_hans_translations_keep_their_placeholders(zh_entries):
    broken = []
    for entry in zh_entries:
        pattern = _BRACE_PLACEHOLDER if "python-brace-format" in entry.flags else _PYTHON_PLACEHOLDER
        if "python-format" not in entry.flags and "python-brace-format" not in entry.flags:
            continue
        wanted = set(pattern.findall(entry.msgid)) | set(pattern.findall(entry.msgid_plural or ""))
        for text in entry.msgstr.values():
            if text and set(pattern.findall(text)) != wanted:
                broken.append(entry)
                break
    if broken:
        pytest.fail(_offenders("translations whose placeholders differ from the msgid", broken), pytrace=False)


def test_compiled_zh_hans_catalog_matches_the_po(zh_entries):
    """Every translation in the .po is what Django serves: the .mo is compiled from the current .po."""
    stale = []
    with translation.override("zh-hans"):
        for entry in zh_entries:
            expected = entry.msgstr.get(0, "")
            if not expected or "fuzzy" in entry.flags:
                continue  # reported by the tests above
            if entry.msgid_plural is not None:
                if entry.msgctxt is not None:
                    served = translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
                else:
                    served = translation.ngettext(entry.msgid, entry.msgid_plural, 1)
            elif entry.msgctxt is not None:
                served = translation.pgettext(entry.msgctxt, entry.msgid)
            else:
                served = translation.gettext(entry.msgid)
            if served != expected:
                stale.append(entry)
    if stale:
        pytest.fail(
            _offenders("translations missing from the compiled django.mo (run compilemessages)", stale), pytrace=False
        )


def test_role_names_are_translated_per_language():
    with translation.override("zh-hans"):
        assert translation.gettext("Front desk") == "前台"
    with translation.override("en"):
        assert translation.gettext("Front desk") == "Front desk"


def test_po_parser_reads_plurals_contexts_and_multiline_strings(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid ""\n"Two "\n"lines %(n)s"\nmsgstr "两行%(n)s"\n\n'
        'msgctxt "ctx"\nmsgid "%(n)s year"\nmsgid_plural "%(n)s years"\nmsgstr[0] ""\n\n'
        '#~ msgid "gone"\n#~ msgstr ""\n',
        encoding="utf-8",
    )
    first, second = parse_po(po)
    assert (first.msgid, first.msgstr, first.flags, first.references) == (
        "Two lines %(n)s",
        {0: "两行%(n)s"},
        {"fuzzy", "python-format"},
        ["a.py:1"],
    )
    assert (second.msgctxt, second.msgid_plural, second.msgstr) == ("ctx", "%(n)s years", {0: ""})


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="zh-hans")  # the product default (config/settings/base.py)
def test_login_page_is_chinese_by_default_and_english_after_switching(client):
    login = reverse("login")
    chinese = client.get(login).content.decode()
    assert "登录" in chinese
    assert "Log in" not in chinese

    response = client.post(reverse("set_language"), {"language": "en", "next": login})
    assert response.status_code == 302
    english = client.get(login).content.decode()
    assert "Log in" in english
    assert "登录" not in english


def test_the_product_default_language_is_simplified_chinese():
    from config.settings import base

    assert base.LANGUAGE_CODE == "zh-hans"
    assert base.TIME_ZONE == "Asia/Shanghai"
    assert [code for code, _ in base.LANGUAGES] == ["zh-hans", "en"]
