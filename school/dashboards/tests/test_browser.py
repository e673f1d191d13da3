"""End-to-end: the dashboards in headless Chromium (Debian's ``chromium`` package, driven by Playwright for
Python) against a live server. Screenshots at laptop and phone widths land in ``artifacts/screenshots/``.

Chromium comes from ``scripts/install_browser`` (``.ci/run`` calls it). Without it these tests fail in CI
(``CI`` set) and skip, saying why, elsewhere. Playwright's own browser downloads are never used.

Every page a test opens is watched for Content Security Policy violations (docs/security.md): one fails the
test, so a template that gains an inline script or style without the request's nonce, or a page that loads
something from another site, is caught here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from django.contrib import admin
from django.urls import reverse

from school import factories
from school.dashboards.tests.conftest import build_scenario

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.django_db(transaction=True)


def _missing() -> str | None:
    """Why the browser cannot run here, or None."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing: run scripts/install_browser (it installs Debian's chromium package)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is missing: pip install -e '.[dev]'"
    return None


@pytest.fixture
def seeded(today):
    """The scenario, committed: the live server reads it from its own thread."""
    return build_scenario()


@pytest.fixture
def browser(seeded):
    """Headless Chromium, started after the data is in: Playwright's sync API runs an event loop in this
    thread, and Django refuses ORM calls from a thread with a running loop."""
    reason = _missing()
    if reason:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"The browser tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(f"Browser tests skipped (not in CI): {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Runs in every page before its own scripts: each violation of the page's CSP is written to the console.
REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", e => console.error(
    `CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`));"""


def is_csp_violation(text: str) -> bool:
    """A console message reporting a CSP violation: our listener's, or Chromium's own."""
    return text.startswith("CSP violation:") or "Content Security Policy" in text


def new_page(browser, live_server, viewport, errors: list):
    """A page in a fresh context (own cookies) whose JavaScript errors, failed scripts, style sheets and
    images (a page itself may answer 403 on purpose) and CSP violations are appended to ``errors``."""
    context = browser.new_context(viewport=viewport, base_url=live_server.url)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type != "document" else None)
    page.on("console", lambda message: errors.append(f"{page.url}: {message.text}")
            if is_csp_violation(message.text) else None)
    return page


@pytest.fixture
def open_page(browser, live_server):
    """``open_page(viewport)``: a fresh page (own cookies); a JavaScript error, a failed script, style sheet
    or image, or a CSP violation fails the test."""
    pages, errors = [], []

    def make(viewport):
        pages.append(new_page(browser, live_server, viewport, errors))
        return pages[-1]

    yield make
    for page in pages:
        page.context.close()
    assert errors == []


def log_in(page, username: str) -> None:
    page.goto("/dashboard/")
    assert page.url.endswith("/accounts/login/?next=/dashboard/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", factories.PASSWORD)
    follow(page, "button:has-text('Log in')")


def follow(page, selector: str) -> None:
    """Click a link and wait until the new page and its scripts have loaded."""
    with page.expect_navigation(wait_until="load"):
        page.click(selector)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def chart(page, series: str) -> list:
    """What the chart of ``series`` draws, read from the Chart.js instance on the page."""
    return page.evaluate(f"() => Chart.getChart('chart-{series}').data.datasets[0].data")


def table(page, testid: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"[data-testid={testid}] tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def test_a_teacher_sees_the_classroom_charts_opens_a_learner_and_logs_out(open_page, seeded):
    page = open_page(LAPTOP)
    log_in(page, "teacher")
    assert page.url.endswith("/dashboard/")
    card = page.locator(".classroom-card")
    assert card.locator("h2").inner_text() == "Spanish 1A"
    assert card.locator("[data-figure=words_practiced]").inner_text() == "11"
    assert page.inner_text("[data-testid=due-this-week] li[data-assignment-id] [data-figure=behind]") == (
        "Bruno Díaz, Carla Vega")
    assert page.locator("[data-testid=overdue] li").count() == 2
    shoot(page, "teacher-home-laptop")

    follow(page, "text=Spanish 1A")
    assert page.url.endswith(f"/dashboard/classrooms/{seeded.classroom.pk}/")
    # The default range: the 14 days up to "today" (20 Mar); the scenario's activity is on 18 and 19 Mar.
    labels = page.evaluate("() => Chart.getChart('chart-words_practiced').data.labels")
    assert (len(labels), labels[-3:]) == (14, ["18 Mar", "19 Mar", "Today"])
    # Today is not over: its bar is pale (the colour at 25 % opacity), the other days' solid.
    colours = page.evaluate(
        "() => Chart.getChart('chart-active_learners').getDatasetMeta(0).data.map(bar => bar.options.backgroundColor)")
    assert (set(colours[:-1]), colours[-1]) == ({"#6d5bd0"}, "#6d5bd040")
    assert page.is_visible("[data-testid=today-note]")
    zeros = [0] * 10
    assert chart(page, "active_learners") == [*zeros, 2, 1, 2, 0]
    assert chart(page, "words_practiced") == [*zeros, 0, 4, 7, 0]
    assert chart(page, "accuracy") == [None] * 11 + [50, 57.1, None]
    assert chart(page, "time_spent") == [*zeros, 20, 10, 15, 0]  # minutes
    # Exams, reading and games: their minutes per day, piled up (17 Mar: the exam, the story, two games).
    assert page.evaluate("() => Chart.getChart('chart-activity_time').data.datasets.map(d => [d.label, d.data])") == [
        ["Exams", [*zeros, 10, 0, 0, 0]], ["Reading", [*zeros, 5, 0, 0, 0]], ["Games", [*zeros, 5, 0, 0, 0]]]
    assert page.inner_text("[data-testid=game-figures] [data-figure=game_average]") == "72.5"
    assert page.inner_text("[data-testid=classroom-totals] [data-figure=accuracy]") == "55%"
    assert table(page, "learners-table") == [
        ["Ana Ortiz", "3", "6", "50%", "27 min", "19 Mar"],
        ["Bruno Díaz", "2", "5", "60%", "18 min", "19 Mar"],
        ["Carla Vega", "0", "0", "–", "0 min", "–"],
    ]
    assert table(page, "assignments-table")[0] == ["El gato story", "Tue 18 Mar", "1 of 3", "0", "2",
                                                   "Ana Ortiz, Carla Vega"]
    assert table(page, "hardest-words") == [["perro", "dog", "5", "20%"]]
    page.click("[data-testid=learners-table] th >> text=Words")  # sort by words, ascending
    assert [row[0] for row in table(page, "learners-table")] == ["Carla Vega", "Bruno Díaz", "Ana Ortiz"]
    page.click("[data-testid=learners-table] th >> text=Accuracy")
    page.click("[data-testid=learners-table] th >> text=Accuracy")  # descending; no accuracy stays last
    assert [row[0] for row in table(page, "learners-table")] == ["Bruno Díaz", "Ana Ortiz", "Carla Vega"]
    shoot(page, "teacher-classroom-laptop")

    follow(page, "text=Ana Ortiz")
    assert page.url.endswith(f"/dashboard/learners/{seeded.ana.pk}/")
    assert page.inner_text("h1") == "Ana Ortiz"
    assert page.inner_text("[data-figure=streak]") == "3 days"
    assert page.locator("[data-testid=checklist] li").count() == 5
    assert chart(page, "words_practiced")[-3:] == [4, 2, 0]
    assert table(page, "weakest-words") == [["perro", "dog", "3", "33%", "right"]]
    shoot(page, "teacher-learner-laptop")

    follow(page, "button:has-text('Log out')")
    assert page.url.endswith("/accounts/login/")
    page.goto(f"/dashboard/classrooms/{seeded.classroom.pk}/")
    assert "/accounts/login/?next=" in page.url


def test_a_learner_sees_their_progress_and_cannot_open_the_teachers_page(open_page, seeded):
    page = open_page(PHONE)
    log_in(page, "ana")
    assert page.url.endswith(f"/dashboard/learners/{seeded.ana.pk}/")
    assert page.inner_text("h1") == "Your progress"
    assert chart(page, "time_spent")[-3:] == [10, 5, 0]
    assert page.eval_on_selector_all("[data-testid=checklist] [data-testid=status]",
                                     "spans => spans.map(s => s.innerText)") == [
        "Overdue · Not started", "Done 19 Mar", "Done 17 Mar", "In progress (1 of 2 words)", "Done 17 Mar"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "learner-progress-phone")

    response = page.goto(f"/dashboard/classrooms/{seeded.classroom.pk}/")
    assert response.status == 403
    assert page.inner_text("h1") == "You cannot open this page"
    response = page.goto(f"/dashboard/learners/{seeded.bruno.pk}/")
    assert response.status == 403
    shoot(page, "learner-forbidden-phone")


def _box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def test_the_classroom_page_fits_a_phone(open_page, seeded):
    page = open_page(PHONE)
    log_in(page, "teacher")
    page.goto(f"/dashboard/classrooms/{seeded.classroom.pk}/?from=2025-03-14&to=2025-03-19")
    assert chart(page, "words_practiced") == [0, 0, 0, 0, 4, 7]
    # Nothing wider than the screen: wide tables scroll inside their own box.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    # The learners table is wider than the phone: a cue says so, and the names stay in view while it scrolls
    # to its last columns.
    scroller = "[data-testid=learners-table] >> xpath=.."
    assert page.is_visible("[data-testid=learners-scroll-cue]")
    name_cell = "[data-testid=learners-table] tbody tr:first-child th"
    last_active = "[data-testid=learners-table] thead th:last-child"
    name_before = _box(page, name_cell)
    assert _box(page, last_active)["x"] >= PHONE["width"]  # off-screen before scrolling
    shoot(page, "teacher-classroom-phone")
    page.locator(scroller).evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    page.wait_for_function("() => document.querySelector('.table-scroll.at-end') !== null")
    assert _box(page, name_cell)["x"] == name_before["x"]
    for header in ("Accuracy", "Time", "Last active"):
        box = _box(page, f"[data-testid=learners-table] thead th >> text='{header}'")
        assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], header
    assert not page.is_visible("[data-testid=learners-scroll-cue]")
    shoot(page, "teacher-classroom-phone-scrolled")


def test_the_teachers_week_and_a_classrooms_assignments_fit_a_phone(open_page, seeded):
    page = open_page(PHONE)
    log_in(page, "teacher")
    assert page.is_visible("[data-testid=due-this-week]") and page.is_visible("[data-testid=overdue]")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "teacher-home-phone")
    page.goto(f"/dashboard/classrooms/{seeded.classroom.pk}/")
    # The assignments table scrolls in its own box; its titles stay in view.
    title = "[data-testid=assignments-table] tbody tr:first-child th"
    before = _box(page, title)
    page.locator("[data-testid=assignments-table] >> xpath=..").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    assert _box(page, title)["x"] == before["x"]
    overdue = _box(page, "[data-testid=assignments-table] tbody tr:first-child td:last-child")
    assert 0 <= overdue["x"] and overdue["x"] + overdue["width"] <= PHONE["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("[data-testid=assignments-panel]").screenshot(path=str(SCREENSHOTS / "teacher-assignments-phone.png"))
    page.locator("[data-testid=activity-panel]").screenshot(path=str(SCREENSHOTS / "teacher-activity-phone.png"))
    page.goto(f"/dashboard/classrooms/{seeded.classroom.pk}/?from=2025-03-19&to=2025-03-01")
    assert page.inner_text("[data-testid=range-error]") == (
        "“From” must be on or before “to”. Showing the last 14 days instead.")


@pytest.fixture
def staff(seeded):
    """A superuser, made before the browser starts (no ORM calls beside Playwright's event loop)."""
    return factories.UserFactory(username="admin", is_staff=True, is_superuser=True)


def admin_pages() -> list[str]:
    """The admin's index, every model's list, and an add form with date and time widgets."""
    return [reverse("admin:index"),
            *(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
              for model in admin.site._registry),
            reverse("admin:classrooms_assignment_add")]


def test_no_page_breaks_the_content_security_policy(staff, open_page, seeded):
    """Every kind of page, as the people who see it: any CSP violation fails the test (``open_page``)."""
    page = open_page(LAPTOP)
    response = page.goto("/accounts/login/")
    policy = dict(directive.split(" ", 1) for directive in response.headers["content-security-policy"].split("; "))
    assert (policy["default-src"], policy["script-src"], policy["frame-ancestors"]) == ("'self'", "'self'", "'none'")
    log_in(page, "teacher")  # the login page, then the teacher's home
    for path in (f"/dashboard/classrooms/{seeded.classroom.pk}/", f"/dashboard/learners/{seeded.ana.pk}/"):
        assert page.goto(path).status == 200
        assert page.evaluate("() => Chart.getChart('chart-words_practiced') !== undefined")
    assert page.goto(f"/dashboard/classrooms/{seeded.rival_classroom.pk}/").status == 403
    assert page.goto("/dashboard/classrooms/999999/").status == 404

    page = open_page(PHONE)
    log_in(page, "ana")
    assert page.inner_text("h1") == "Your progress"

    page = open_page(LAPTOP)
    log_in(page, "admin")
    for path in admin_pages():
        assert page.goto(path).status == 200, path
    page.click("text=Today")  # the date widget's shortcut: the admin's own scripts run
    assert page.input_value("#id_due_date") != ""

    assert page.goto("/api/schema/redoc/").status == 200
    assert page.url.endswith("/api/schema/swagger/")
    page.wait_for_selector("text=/api/v1/events/batch/")  # Swagger UI read the schema and drew its operations


def test_an_inline_script_injected_into_a_page_is_blocked_and_reported(browser, live_server):
    """What stops XSS from running even if markup got through: the CSP refuses inline scripts without the
    request's nonce, and the watcher that guards every browser test sees it."""
    errors = []
    page = new_page(browser, live_server, LAPTOP, errors)
    page.goto("/accounts/login/")
    page.evaluate("""() => { const script = document.createElement("script");
                             script.textContent = "window.injected = true;"; document.body.append(script); }""")
    page.wait_for_function("() => document.readyState === 'complete'")
    page.wait_for_timeout(200)  # the violation event is dispatched after the script is refused
    assert page.evaluate("() => window.injected") is None
    assert [error for error in errors if "CSP violation: script-src-elem" in error] != []
    page.context.close()


def test_a_form_sent_without_its_csrf_cookie_gets_the_sites_own_403_page(open_page, seeded):
    page = open_page(LAPTOP)
    page.goto("/accounts/login/")
    page.context.clear_cookies()
    page.fill("input[name=username]", "teacher")
    page.fill("input[name=password]", factories.PASSWORD)
    with page.expect_navigation() as navigation:
        page.click("button:has-text('Log in')")
    assert navigation.value.status == 403
    assert page.inner_text("h1") == "This form has expired"
    assert page.is_visible("a[href='/accounts/login/']")
