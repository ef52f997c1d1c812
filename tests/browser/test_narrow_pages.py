"""390 px wide, with German-length words, in English and with the browser asking for
German: the result page and the pages of the Sent-folder choice, the health strip, the
fleet, the import table, support and review neither scroll sideways nor break a word that
would fit on its line ("UIDVALI DITY")."""

import pytest
from django.utils import timezone

from accounts.models import Mailbox
from core.roles import SUPPORT, grant
from diagnostics.flows import execute_test, start_test
from imports.models import ImportJob, ImportRow
from monitoring.models import Check, Health, State
from support import flows as support_flows
from tests.browser.conftest import sign_in
from tests.staff_fixtures import admin_user  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True)]

PASSWORD = "Schlüsselbund-Passwort 42"
# German-length words as a translation brings them: long compounds in folder names,
# addresses and server names.
FOLDERS = ["Posteingangsbestätigungen", "Entwürfe", "Kundenkorrespondenzablage", "Rechnungseingangsarchiv"]

# Words (runs without white space) that sit on more than one line although they are
# narrower than the page's column: broken mid-token for no reason (a table cell squeezed
# below its words, overflow-wrap: anywhere). Longer ones (an address) may break.
_BROKEN_WORDS = """() => {
  const found = [];
  const hidden = el => {
    for (let at = el; at && at !== document.body; at = at.parentElement) {
      // Visually hidden (a table's header on a phone).
      if (at.getBoundingClientRect().width <= 1) return true;
    }
    return false;
  };
  const room = el => {
    // The column a word could have had: the card (or a phone's table row) holding it.
    const box = el.closest(".card, tr, main") || document.body;
    const style = getComputedStyle(box);
    return box.getBoundingClientRect().width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
      - parseFloat(style.borderLeftWidth) - parseFloat(style.borderRightWidth);
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !parent.offsetParent || parent.closest("script, style, select, option, svg")) continue;
    if (hidden(parent)) continue;
    const space = room(parent);
    // A hyphen is a place a line may break ("SMTP-" / "Verschlüsselung"), as in print.
    for (const match of node.textContent.matchAll(/[^\\s-]{6,}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      const lines = new Set(rects.map(r => Math.round(r.top)));
      const width = rects.reduce((sum, r) => sum + r.width, 0);
      if (lines.size > 1 && width <= space) found.push(match[0] + " in " + parent.tagName.toLowerCase());
    }
  }
  return found.slice(0, 10);
}"""


def _check(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    for details in page.query_selector_all("details"):  # everything a person may unfold
        details.evaluate("d => d.open = true")
    width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{url} scrolls sideways: {width}"
    broken = page.evaluate(_BROKEN_WORDS)
    assert broken == [], (url, broken)


@pytest.fixture(params=["en-US", "de-DE"])
def narrow(browser, request):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=request.param)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def tests_run_here(monkeypatch):
    monkeypatch.setattr("diagnostics.flows.enqueue", lambda test_id: True)


def _mailbox(owner, dovecot, smtp, local: str, folders, password=PASSWORD) -> Mailbox:
    address = dovecot.add_user(f"{local}@steuerberatung.example", PASSWORD, folders=folders)
    smtp.users[address] = PASSWORD
    mailbox = Mailbox(
        user=owner, email=address, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="starttls",
        imap_host="127.0.0.1", imap_port=dovecot.port_ssl, imap_security="ssl",
    )  # fmt: skip
    mailbox.set_password(password)
    mailbox.save()
    execute_test(start_test(mailbox).pk)
    return mailbox


def test_the_pages_fit_390_px_with_german_length_words(
    narrow,
    app,
    make_user,
    admin_user,  # noqa: F811
    dovecot,
    smtp_server,
):
    owner = make_user("kundenbetreuung")
    smtp = smtp_server(security="starttls", users={})
    connected = _mailbox(owner, dovecot, smtp, "rechnungseingang", [*FOLDERS, "Gesendete Objekte"])
    almost = _mailbox(owner, dovecot, smtp, "auftragsbestaetigung", FOLDERS)
    failed = _mailbox(owner, dovecot, smtp, "vertragsverwaltung", FOLDERS, password="Falsches-Passwort")
    assert [m.latest_test().status for m in (connected, almost, failed)] == ["connected", "failed", "failed"]
    Health.objects.create(mailbox=connected, state=State.CONNECTED, state_changed_at=timezone.now())
    now = timezone.now()
    Check.objects.bulk_create(
        Check(mailbox=connected, state=s, ok=ok, created_at=now - timezone.timedelta(minutes=m))
        for m, s, ok in [(50, State.DISCONNECTED, False), (30, State.CONNECTED, True),
                         (10, State.CONNECTED, True)]
    )  # fmt: skip
    job = ImportJob.objects.create(user=owner, filename="Postfächer-Übernahme-Steuerberatung.csv",
                                   status=ImportJob.Status.CHECKING)  # fmt: skip
    ImportRow.objects.create(
        job=job, number=12, email="lohnbuchhaltung@steuerberatung.example", state="failed", code="imap_auth",
        reason="wrong_credentials", message="Anmeldung fehlgeschlagen: Benutzername oder Passwort ungültig.",
        fix="Überprüfen Sie das Passwort.", password_encrypted="x",
    )  # fmt: skip

    request = support_flows.open_request(
        owner,
        failed.latest_test(),
        "Das Postfach verbindet sich nicht.",
        owner.email or "kunde@example.test",
        [],
    )
    sign_in(narrow.context, app, owner)
    for path in ("/", "/mailboxes/new/", *(f"/mailboxes/{m.pk}/" for m in (connected, almost, failed)),
                 f"/mailboxes/{failed.pk}/edit/", "/imports/", f"/imports/{job.pk}/", "/support/",
                 f"/support/new/{failed.latest_test().pk}/", f"/support/{request.pk}/",
                 "/settings/alerts/"):  # fmt: skip
        _check(narrow, app + path)

    grant(admin_user, SUPPORT)
    sign_in(narrow.context, app, admin_user)
    for path in (
        "/health/fleet/",
        f"/health/fleet/mailboxes/{connected.pk}/",
        "/review/",
        "/review/grouped/",
        f"/review/tests/{failed.latest_test().pk}/",
        "/support/queue/",
        f"/support/queue/{request.pk}/",
    ):
        _check(narrow, app + path)

    narrow.context.clear_cookies()
    for path in ("/login/", "/signup/"):
        _check(narrow, app + path)

    # The check itself: a word squeezed into a narrow column is caught.
    narrow.evaluate(
        """() => {  // styles through the CSSOM: the page's CSP refuses style attributes
          const row = document.createElement("div"), word = document.createElement("span");
          const rest = document.createElement("span");
          Object.assign(row.style, {display: "flex", width: "200px"});
          Object.assign(word.style, {overflowWrap: "anywhere", minWidth: "0"});
          rest.style.flex = "0 0 180px";
          word.textContent = "UIDVALIDITY";
          rest.textContent = "x";
          row.append(word, rest);
          document.querySelector("main").append(row);
        }"""
    )
    assert narrow.evaluate(_BROKEN_WORDS) == ["UIDVALIDITY in span"]


def test_the_import_tables_row_header_stays_on_one_line(browser, app, make_user):
    owner = make_user("tabellen")
    job = ImportJob.objects.create(user=owner, status=ImportJob.Status.CHECKING)
    ImportRow.objects.create(
        job=job, number=2, email="sehr.langer.name.fuer.ein.postfach@steuerberatungsgesellschaft.example",
        state="failed", code="smtp_auth", reason="wrong_credentials", password_encrypted="x",
        message="Der Server hat die Anmeldung abgelehnt: Benutzername oder Passwort ungültig. " * 3,
        fix="Überprüfen Sie das Passwort und versuchen Sie es erneut.",
    )  # fmt: skip
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(context, app, owner)
    page.goto(f"{app}/imports/{job.pk}/")
    lines = page.evaluate(
        """() => {
          const range = document.createRange();
          range.selectNodeContents(document.querySelector("th.row-number"));
          return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
        }"""
    )
    assert lines == 1
    assert "smtp_auth" not in page.inner_text("table") and "wrong_credentials" not in page.inner_text("table")
    context.close()
