"""Driving the workbench in Chromium the way a person does, with the checks every page gets.

Each role's flow (exporter, customs; bank and regulator to come) opens a :class:`Workbench`
on a :class:`~tests.browser.served.ServedSandan`, signs in with :func:`sign_in_as`, and calls
:meth:`Workbench.goto` / :meth:`Workbench.seen` for each page: no console error, no request
to another host, a label for every form control, and screenshots in both languages at both
widths.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tests.browser.conftest import SCREENSHOTS, watched_page
from tests.browser.served import ServedSandan

WIDTHS = {"phone": 360, "desktop": 1280}
LANGUAGES = ("zh", "en")
#: Anchoring by the served process's worker is a few blocks on anvil, but the machine may
#: be busy: poll up to this long, never sleep a fixed time.
ANCHOR_DEADLINE_SECONDS = 60.0

# Every visible form control, and the ones without a name a screen reader could say: a
# label[for] naming its id, an enclosing label, or aria-label / aria-labelledby.
_UNLABELLED_CONTROLS = """
() => [...document.querySelectorAll("input, select, textarea")]
  .filter((c) => c.type !== "hidden")
  .filter((c) => !(c.id && document.querySelector(`label[for="${CSS.escape(c.id)}"]`))
    && !c.closest("label") && !c.getAttribute("aria-label")
    && !c.getAttribute("aria-labelledby"))
  .map((c) => c.outerHTML)
"""


def sign_in_as(page: Any, live: ServedSandan, credential: str, lang: str) -> None:
    """Sign in at ``/`` in ``lang`` with the keyboard alone: the credential field has focus
    on arrival, Tab moves to the button, Enter presses it. Ends on ``/portal``."""
    page.goto(f"{live.base_url}/?lang={lang}")
    # Chromium applies autofocus after the first rendering, a moment after the load.
    page.wait_for_selector("#credential:focus")
    page.keyboard.type(credential)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.base_url}/portal")


def with_language(url: str, lang: str) -> str:
    """``url`` with its ``lang`` query parameter set to ``lang`` (other parameters kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "lang"] + [("lang", lang)]
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass
class Workbench:
    """One person's browser tab on the served workbench, checked on every page it shows."""

    page: Any
    problems: list[str]
    live: ServedSandan
    lang: str
    #: Whether :meth:`seen` writes screenshots (the pages look the same on every database,
    #: so one database's run takes them).
    screenshots: bool

    @classmethod
    def open(cls, context: Any, live: ServedSandan, lang: str, *, screenshots: bool) -> Workbench:
        page, problems = watched_page(context, live.base_url, WIDTHS["desktop"])
        return cls(page, problems, live, lang, screenshots)

    def sign_in(self, credential: str) -> None:
        """:func:`sign_in_as` in this tab's language, then the home page's checks."""
        sign_in_as(self.page, self.live, credential, self.lang)
        self.seen("home")

    def sign_out(self) -> None:
        """The header's sign-out button; back on the sign-in page."""
        self.page.locator("form.signout button[type=submit]").click()
        self.page.wait_for_url(f"{self.live.base_url}/")
        self.check()

    def goto(self, path: str) -> None:
        """Open ``path`` of the workbench and check the page."""
        self.page.goto(f"{self.live.base_url}{path}")
        self.check()

    def follow_nav(self, href: str) -> None:
        """Follow the navigation's link to ``href``, as a person would from any page."""
        self.page.locator(f'nav a[href="{href}"]').click()
        self.page.wait_for_url(f"{self.live.base_url}{href}")
        self.check()

    def check(self) -> None:
        """The checks every page gets: its controls labelled, no console error, no request
        to another host (the watcher recorded both since the last check)."""
        assert self.page.evaluate(_UNLABELLED_CONTROLS) == [], self.page.url
        assert self.problems == [], self.page.url

    @contextmanager
    def refused(self, status: int) -> Iterator[None]:
        """The page the block navigates to is answered ``status``: accept the one console
        line Chromium writes for it (waited for, as console events come in on their own)."""
        with (
            self.page.expect_console_message(lambda m: m.type == "error"),
            self.page.expect_response(lambda r: r.request.is_navigation_request()) as answer,
        ):
            yield
        assert answer.value.status == status
        line = f"Failed to load resource: the server responded with a status of {status}"
        assert [p[: len(line)] for p in self.problems] == [line]
        self.problems.clear()

    def poll(self, ready: Callable[[], bool], what: str) -> None:
        """Reload the page until ``ready()`` holds, checking each load; fail at the deadline."""
        deadline = time.monotonic() + ANCHOR_DEADLINE_SECONDS
        while not ready():
            assert time.monotonic() < deadline, f"{what}: not seen within the deadline"
            self.page.wait_for_timeout(300)  # lets Playwright deliver events meanwhile
            self.page.reload()
            self.check()

    def seen(self, name: str, *, both_languages: bool = True) -> None:
        """Check the page, then screenshot it as ``portal-<name>-<lang>-<size>.png`` at
        360 px and 1280 px; in both languages when it can be loaded again (a GET), else in
        this tab's language only (a form's answer). Ends as it began: same URL, language
        and width."""
        self.check()
        if not self.screenshots:
            return
        url = self.page.url
        languages = LANGUAGES if both_languages else (self.lang,)
        for lang in languages:
            if both_languages:
                self.page.goto(with_language(url, lang))
                self.check()
            for size, width in WIDTHS.items():
                self.page.set_viewport_size({"width": width, "height": 900})
                SCREENSHOTS.mkdir(exist_ok=True)
                shot = SCREENSHOTS / f"portal-{name}-{lang}-{size}.png"
                self.page.screenshot(path=str(shot), full_page=True)
                # Wide tables scroll inside their own box; the page itself never sideways.
                scroll_width = self.page.evaluate("document.documentElement.scrollWidth")
                assert scroll_width <= width, f"{shot.name}: {scroll_width} px wide"
        self.page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
        if both_languages:
            self.page.goto(with_language(url, self.lang))
            self.check()
