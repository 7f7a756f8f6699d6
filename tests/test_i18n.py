"""Languages: negotiation, catalogues, locale formatting, pages in both languages."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from northstar.web.i18n import Translator, negotiate, normalise, parse_accept_language
from tests.conftest import login
from tests.factories import PASSWORD, build_small_org

SRC = Path(__file__).resolve().parent.parent / "src"
CATALOGUES = SRC / "northstar" / "web" / "translations"


@pytest.mark.parametrize(
    "tag,expected",
    [
        ("zh-CN", "zh_CN"),
        ("zh_CN", "zh_CN"),
        ("zh_cn", "zh_CN"),
        ("zh-Hans-CN", "zh_CN"),
        ("zh", "zh_CN"),
        ("en-US", "en"),
        ("en_GB", "en"),
        ("fr-FR", None),
        ("", None),
    ],
)
def test_language_tags_are_normalised(tag, expected):
    assert normalise(tag) == expected


def test_negotiation_order_is_user_setting_then_query_then_accept_language():
    assert negotiate(user_setting="en", query="zh-CN", accept_language="zh-CN", default="zh_CN") == "en"
    assert negotiate(user_setting=None, query="zh_CN", accept_language="en", default="en") == "zh_CN"
    assert (
        negotiate(
            user_setting=None, query=None, accept_language="fr;q=1, en-GB;q=0.8, zh;q=0.5", default="zh_CN"
        )
        == "en"
    )
    assert negotiate(user_setting=None, query=None, accept_language=None, default="zh_CN") == "zh_CN"
    assert parse_accept_language("en;q=0.2, zh-CN") == ["zh_CN", "en"]


def _extracted_messages() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(SRC), method_map=method_map, keywords={"_": None, "N_": None, "gettext": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_in_the_code_and_templates_has_a_chinese_translation():
    with (CATALOGUES / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id: m.string for m in catalog if m.id and m.string}
    missing = sorted(m for m in _extracted_messages() if m not in translated)
    assert not missing, f"run `make messages` and translate: {missing[:10]}"
    for msgid, msgstr in translated.items():
        assert set(re.findall(r"\{\w+\}", msgid)) == set(re.findall(r"\{\w+\}", msgstr)), msgid


def test_the_english_catalogue_knows_every_message_too():
    with (CATALOGUES / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        ids = {m.id for m in read_po(fh) if m.id}
    assert _extracted_messages() <= ids


def test_numbers_dates_and_money_follow_the_locale():
    zh, en = Translator("zh_CN"), Translator("en")
    assert en.number(1234567) == "1,234,567"
    assert zh.number(Decimal("1234.5"), 1) == "1,234.5"
    assert en.date(date(2026, 3, 9)) == "Mar 9, 2026"
    assert zh.date(date(2026, 3, 9)) == "2026年3月9日"
    assert zh.money(Decimal("12500")) == "¥12,500.00"
    assert en.money(Decimal("12500")) == "CN¥12,500.00"
    assert en.percent(Decimal("0.873")) == "87.3%"


@pytest.fixture
def small_org(session_factory):
    return build_small_org(session_factory)


def test_login_page_follows_accept_language_and_query(client):
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "Sign in to Northstar" in client.get("/login", headers={"Accept-Language": "en-US"}).text
    assert "登录" in client.get("/login?lang=zh_CN", headers={"Accept-Language": "en-US"}).text
    assert '<html lang="zh-CN">' in client.get("/login?lang=zh-CN").text


def test_a_users_language_setting_wins_and_formats_dates(client, small_org):
    csrf = login(client, "emp", PASSWORD)
    client.post("/account/language", data={"locale": "zh-CN", "csrf_token": csrf, "next": "/"})
    page = client.get(f"/org/employees/{small_org.id('a1')}?lang=en", headers={"Accept-Language": "en"})
    assert "入职日期" in page.text and "2022年1月10日" in page.text
    client.post("/account/language", data={"locale": "en", "csrf_token": csrf, "next": "/"})
    page = client.get(f"/org/employees/{small_org.id('a1')}", headers={"Accept-Language": "zh-CN"})
    assert "Start date" in page.text and "Jan 10, 2022" in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/org/departments",
        "/org/employees",
        "/org/positions",
        "/audit",
        "/org/import",
        "/admin/users",
        "/admin/tokens",
        "/docs",
        "/org/employees/new",
    ],
)
def test_every_page_renders_in_both_languages_without_untranslated_words(client, small_org, path):
    csrf = login(client, "admin", PASSWORD)
    for locale, marker in (("zh_CN", "退出登录"), ("en", "Sign out")):
        client.post("/account/language", data={"locale": locale, "csrf_token": csrf, "next": "/"})
        page = client.get(path)
        assert page.status_code == 200, (path, locale)
        assert marker in page.text
    client.post("/account/language", data={"locale": "zh_CN", "csrf_token": csrf, "next": "/"})
    zh = client.get(path).text
    # No English UI sentence leaks into the Chinese page (visible text between tags).
    visible = re.sub(r"<script.*?</script>|<[^>]+>", " ", zh, flags=re.S)
    english_sentences = [s for s in re.findall(r"[A-Z][a-z]+(?: [a-z]+){3,}", visible)]
    assert not english_sentences, english_sentences[:5]


def test_error_pages_speak_the_users_language(client, small_org):
    login(client, "emp", PASSWORD)
    zh = client.get("/org/employees/999999?lang=zh-CN", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 404 and "找不到" in zh.text or "不存在" in zh.text
    en = client.get("/this/does/not/exist", headers={"Accept-Language": "en"})
    assert en.status_code == 404 and "This page does not exist." in en.text
