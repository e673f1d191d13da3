import json
import logging
import re
import sys
from datetime import timedelta

import pytest
from django.test import Client

from school import factories
from school.classrooms.models import Assignment
from school.config.log_filters import ClientErrorsWithoutTraceback
from school.dashboards.tests.conftest import D0, D1, D2, TODAY

pytestmark = pytest.mark.django_db

RANGE = f"?from={D1}&to={D2}"


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def embedded_chart(response) -> dict:
    """The chart data the page embeds with json_script."""
    match = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', response.content.decode())
    return json.loads(match.group(1))


def figures(days, *names):
    return [{"date": day["date"], **{name: day[name] for name in names}} for day in days]


# --- who may open what -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/classrooms/1/", "/dashboard/learners/1/"])
def test_anonymous_is_sent_to_the_login_page(path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/accounts/login/?next={path}"


def test_the_site_root_redirects_to_the_dashboard():
    response = Client().get("/")
    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard/")


def test_a_learner_opening_a_classroom_page_gets_a_403_page(scenario):
    response = client_of(scenario.ana).get(f"/dashboard/classrooms/{scenario.classroom.pk}/")
    assert response.status_code == 403
    assert response.templates[0].name == "403.html"
    assert '<p data-testid="forbidden-reason">Only this classroom&#x27;s teacher can do this.</p>' in (
        response.content.decode())


def test_a_refused_page_is_logged_in_one_line_without_a_traceback(scenario, caplog):
    path = f"/dashboard/classrooms/{scenario.classroom.pk}/"
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client_of(scenario.ana).get(path).status_code == 403
        assert client_of(scenario.ana).get("/dashboard/learners/999999/").status_code == 404
    assert [(r.levelname, r.getMessage(), r.exc_info, r.exc_text) for r in caplog.records
            if r.name == "django.request"] == [
        ("WARNING", f"Forbidden (Permission denied): {path}", None, None),
        ("WARNING", "Not Found: /dashboard/learners/999999/", None, None),
    ]
    assert "Traceback" not in caplog.text


def test_a_server_error_keeps_its_traceback_in_the_log():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: /x/",
                                   None, sys.exc_info())
    record.status_code = 500
    assert ClientErrorsWithoutTraceback().filter(record) is True
    assert record.exc_info[0] is RuntimeError


def test_another_teacher_cannot_open_the_classroom(scenario):
    assert client_of(scenario.rival).get(f"/dashboard/classrooms/{scenario.classroom.pk}/").status_code == 403


def test_unknown_classroom_and_learner_are_404(scenario):
    client = client_of(scenario.teacher)
    assert client.get("/dashboard/classrooms/999999/").status_code == 404
    assert client.get("/dashboard/learners/999999/").status_code == 404


@pytest.mark.parametrize("viewer", ["bruno", "rival", "dora"])
def test_others_cannot_open_a_learners_page(scenario, viewer):
    response = client_of(getattr(scenario, viewer)).get(f"/dashboard/learners/{scenario.ana.pk}/")
    assert response.status_code == 403
    assert response.templates[0].name == "403.html"
    assert ('<p data-testid="forbidden-reason">Only the learner, their teachers and staff can read their '
            'statistics.</p>' in response.content.decode())


@pytest.mark.parametrize("viewer", ["ana", "teacher"])
def test_the_learner_and_their_teacher_open_the_learners_page(scenario, today, viewer):
    assert client_of(getattr(scenario, viewer)).get(f"/dashboard/learners/{scenario.ana.pk}/").status_code == 200


def test_staff_open_every_page(scenario, today):
    client = client_of(factories.UserFactory(is_staff=True))
    assert client.get(f"/dashboard/classrooms/{scenario.classroom.pk}/").status_code == 200
    assert client.get(f"/dashboard/learners/{scenario.dora.pk}/").status_code == 200


# --- the start page --------------------------------------------------------------------------------


def test_a_teacher_sees_their_classrooms_with_the_last_14_days_figures(scenario, today):
    response = client_of(scenario.teacher).get("/dashboard/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row["classroom"], row["classroom"].learner_count) for row in rows] == [(scenario.classroom, 3)]
    assert {k: v for k, v in rows[0].items() if k != "classroom"} == {
        "active_learners": 2, "words_practiced": 11, "accuracy": 6 / 11, "time_spent": 2700}
    html = response.content.decode()
    assert '<dd data-figure="accuracy">55%</dd>' in html
    assert '<dd data-figure="time_spent" data-seconds="2700">45 min</dd>' in html
    assert "French 2" not in html


def test_staff_see_every_classroom_and_an_idle_one_shows_zeros(scenario, today):
    idle = factories.ClassroomFactory(name="Idle")
    rows = client_of(factories.UserFactory(is_staff=True)).get("/dashboard/").context["rows"]
    assert [row["classroom"].name for row in rows] == ["French 2", "Idle", "Spanish 1A"]
    assert rows[1] == {"classroom": idle, "active_learners": 0, "words_practiced": 0, "accuracy": None,
                       "time_spent": 0}


def test_a_teacher_without_classrooms_is_told_so(db):
    response = client_of(factories.TeacherFactory()).get("/dashboard/")
    assert response.context["rows"] == []
    assert "You do not teach any classroom yet." in response.content.decode()


def test_a_learner_is_sent_to_their_own_page(scenario):
    response = client_of(scenario.ana).get("/dashboard/")
    assert (response.status_code, response.headers["Location"]) == (302, f"/dashboard/learners/{scenario.ana.pk}/")


# --- a classroom's page ----------------------------------------------------------------------------


def test_classroom_page_shows_the_rollups_figures(scenario, today):
    response = client_of(scenario.teacher).get(f"/dashboard/classrooms/{scenario.classroom.pk}/{RANGE}")
    assert response.status_code == 200
    context = response.context
    assert (context["period"].start, context["period"].end, context["period"].error) == (D1, D2, "")
    assert figures(context["days"], "active_learners", "words_practiced", "words_correct", "time_spent") == [
        {"date": D1, "active_learners": 1, "words_practiced": 4, "words_correct": 2, "time_spent": 600},
        {"date": D2, "active_learners": 2, "words_practiced": 7, "words_correct": 4, "time_spent": 900},
    ]
    assert embedded_chart(response) == {
        "labels": ["2025-03-18", "2025-03-19"], "active_learners": [1, 2], "words_practiced": [4, 7],
        "words_correct": [2, 4], "accuracy": [0.5, 4 / 7], "time_spent": [600, 900], "today": None,
        "exam_seconds": [0, 0], "reading_seconds": [0, 0], "game_seconds": [0, 0],
    }
    assert [(row["name"], row["active_days"], row["words_practiced"], row["accuracy"], row["time_spent"],
             row["last_active"]) for row in context["learners"]] == [
        ("Ana Ortiz", 2, 6, 0.5, 900, D2), ("Bruno Díaz", 1, 5, 0.6, 600, D2), ("Carla Vega", 0, 0, None, 0, None)]
    w2 = scenario.words[1]
    assert context["hardest_words"] == [
        {"word_id": w2.pk, "attempts": 5, "correct": 1, "accuracy": 0.2, "text": "perro", "translation": "dog", "language": "es"}]
    html = response.content.decode()
    assert '<dd data-figure="active_learners">2</dd>' in html
    assert '<dd data-figure="words_practiced">11</dd>' in html
    assert f'<a href="/dashboard/learners/{scenario.ana.pk}/">Ana Ortiz</a>' in html
    assert re.search(r'<th scope="row">perro</th>\s*<td>dog</td>\s*<td class="num" data-figure="attempts">5</td>'
                     r'\s*<td class="num" data-figure="accuracy">20%</td>', html)
    assert "French 2" not in html and "Dora" not in html


def panel_figures(html: str, testid: str) -> dict[str, str]:
    """The figures of one kind in the activity panel, as shown."""
    block = re.search(rf'<div data-testid="{testid}">(.*?)</dl>', html, re.S).group(1)
    return dict(re.findall(r'<dd data-figure="(\w+)"[^>]*>([^<]*)</dd>', block))


def day_row(html: str, table: str, day) -> dict[str, str]:
    """The cells of ``day``'s row in the table ``table``, by figure, as shown."""
    body = re.search(rf'data-testid="{table}">.*?</table>', html, re.S).group(0)
    row = re.search(rf'<tr data-date="{day}"[^>]*>(.*?)</tr>', body, re.S).group(1)
    return dict(re.findall(r'<td class="num" data-figure="(\w+)"[^>]*>([^<]*)</td>', row))


def test_the_classroom_page_shows_exams_reading_and_games(scenario, today):
    response = client_of(scenario.teacher).get(f"/dashboard/classrooms/{scenario.classroom.pk}/?from={D0}&to={D2}")
    html = response.content.decode()
    assert panel_figures(html, "exam-figures") == {
        "exam_answers": "4", "exam_accuracy": "75%", "exam_seconds": "10 min"}
    assert panel_figures(html, "reading-figures") == {
        "content_viewed": "1", "content_completed": "1", "reading_seconds": "5 min"}
    assert panel_figures(html, "game-figures") == {
        "games_completed": "2", "game_average": "72.5", "game_seconds": "5 min"}
    chart = embedded_chart(response)
    assert (chart["exam_seconds"], chart["reading_seconds"], chart["game_seconds"]) == (
        [600, 0, 0], [300, 0, 0], [300, 0, 0])
    assert chart["time_spent"] == [1200, 600, 900]  # the exam, the story and the games count as time on task
    assert day_row(html, "activity-table", D0) == {
        "exam_answers": "4", "exam_accuracy": "75%", "exam_seconds": "10 min", "content_viewed": "1",
        "content_completed": "1", "reading_seconds": "5 min", "games_completed": "2", "game_average": "72.5",
        "game_seconds": "5 min"}
    assert day_row(html, "activity-table", D1) == {
        "exam_answers": "0", "exam_accuracy": "–", "exam_seconds": "0 min", "content_viewed": "0",
        "content_completed": "0", "reading_seconds": "0 min", "games_completed": "0", "game_average": "–",
        "game_seconds": "0 min"}


def test_the_learner_page_shows_their_own_exams_reading_and_games(scenario, today):
    html = client_of(scenario.ana).get(f"/dashboard/learners/{scenario.ana.pk}/?from={D0}&to={D2}").content.decode()
    assert (panel_figures(html, "exam-figures"), panel_figures(html, "reading-figures"),
            panel_figures(html, "game-figures")) == (
        {"exam_answers": "4", "exam_accuracy": "75%", "exam_seconds": "10 min"},
        {"content_viewed": "0", "content_completed": "0", "reading_seconds": "0 min"},
        {"games_completed": "1", "game_average": "80", "game_seconds": "2 min"},
    )


def test_classroom_page_defaults_to_the_last_14_days(scenario, today):
    context = client_of(scenario.teacher).get(f"/dashboard/classrooms/{scenario.classroom.pk}/").context
    assert (context["period"].start.isoformat(), context["period"].end, context["period"].error) == (
        "2025-03-07", TODAY, "")
    assert len(context["days"]) == 14
    assert context["totals"]["words_practiced"] == 11


@pytest.mark.parametrize("page", ["classroom", "learner"])
def test_today_is_marked_as_not_over_in_the_charts_and_the_table(scenario, today, page):
    path = (f"/dashboard/classrooms/{scenario.classroom.pk}/" if page == "classroom"
            else f"/dashboard/learners/{scenario.ana.pk}/")
    response = client_of(scenario.teacher).get(path)
    assert embedded_chart(response)["today"] == "2025-03-20"
    html = response.content.decode()
    assert re.findall(r'<tr data-date="([\d-]+)" class="partial" data-partial>\s*<th scope="row">([^<]*)'
                      r'<span class="tag">so far</span>', html) == [("2025-03-20", "Thu 20 Mar ")] * 2  # both day tables
    assert 'data-testid="today-note"' in html
    # A range ending before today marks nothing.
    html = client_of(scenario.teacher).get(f"{path}{RANGE}").content.decode()
    assert "data-partial" not in html and 'data-testid="today-note"' not in html


def test_a_range_without_activity_shows_zeros(scenario, today):
    response = client_of(scenario.teacher).get(
        f"/dashboard/classrooms/{scenario.classroom.pk}/?from=2025-01-01&to=2025-01-02")
    assert embedded_chart(response) == {
        "labels": ["2025-01-01", "2025-01-02"], "active_learners": [0, 0], "words_practiced": [0, 0],
        "words_correct": [0, 0], "accuracy": [None, None], "time_spent": [0, 0], "today": None,
        "exam_seconds": [0, 0], "reading_seconds": [0, 0], "game_seconds": [0, 0]}
    assert response.context["hardest_words"] == []
    assert "No word has been tried 5 times yet in this period." in response.content.decode()


@pytest.mark.parametrize(("query", "message"), [
    ("?from=2025-02-30", "From: Enter a date as YYYY-MM-DD."),
    ("?from=03/01/2025&to=nope", "From: Enter a date as YYYY-MM-DD. To: Enter a date as YYYY-MM-DD."),
    ("?from=2025-03-19&to=2025-03-18", "“From” must be on or before “to”."),
    ("?from=2020-01-01&to=2025-03-19", "Choose a range of at most 366 days."),
])
def test_a_bad_range_shows_a_message_and_the_default_range(scenario, today, query, message):
    response = client_of(scenario.teacher).get(f"/dashboard/classrooms/{scenario.classroom.pk}/{query}")
    assert response.status_code == 200
    expected = f"{message} Showing the last 14 days instead."
    period = response.context["period"]
    assert (period.start.isoformat(), period.end, period.error) == ("2025-03-07", TODAY, expected)
    assert (f'<p class="notice notice--error" role="alert" data-testid="range-error">{expected}</p>'
            in response.content.decode())


def test_only_to_given_shows_the_14_days_up_to_it(scenario, today):
    period = client_of(scenario.teacher).get(f"/dashboard/classrooms/{scenario.classroom.pk}/?to={D1}").context[
        "period"]
    assert (period.start.isoformat(), period.end, period.error) == ("2025-03-05", D1, "")


# --- a learner's page ------------------------------------------------------------------------------


def test_learner_page_shows_their_figures_streak_and_weakest_words(scenario, today):
    response = client_of(scenario.ana).get(f"/dashboard/learners/{scenario.ana.pk}/{RANGE}")
    assert response.status_code == 200
    context = response.context
    assert figures(context["days"], "words_practiced", "words_correct", "accuracy", "time_spent") == [
        {"date": D1, "words_practiced": 4, "words_correct": 2, "accuracy": 0.5, "time_spent": 600},
        {"date": D2, "words_practiced": 2, "words_correct": 1, "accuracy": 0.5, "time_spent": 300},
    ]
    assert embedded_chart(response) == {"labels": ["2025-03-18", "2025-03-19"], "words_practiced": [4, 2],
                                        "words_correct": [2, 1], "accuracy": [0.5, 0.5], "time_spent": [600, 300],
                                        "exam_seconds": [0, 0], "reading_seconds": [0, 0], "game_seconds": [0, 0],
                                        "today": None}
    assert context["streak"] == 3
    w2 = scenario.words[1]
    assert context["weakest_words"] == [
        {"word_id": w2.pk, "attempts": 3, "correct": 1, "accuracy": 1 / 3, "last_correct": True, "text": "perro",
        "translation": "dog", "language": "es"}]
    html = response.content.decode()
    assert "<h1>Your progress</h1>" in html
    assert '<dd data-figure="streak">3 days</dd>' in html
    assert '<dd data-figure="words_practiced">6</dd>' in html
    assert '<dd data-figure="time_spent" data-seconds="900">15 min</dd>' in html
    assert f'href="/dashboard/classrooms/{scenario.classroom.pk}/"' not in html  # a learner gets no link to it


def test_a_teacher_sees_the_learners_name_and_a_link_back_to_the_classroom(scenario, today):
    html = client_of(scenario.teacher).get(f"/dashboard/learners/{scenario.bruno.pk}/").content.decode()
    assert "<h1>Bruno Díaz</h1>" in html
    assert f'<a href="/dashboard/classrooms/{scenario.classroom.pk}/">Spanish 1A</a>' in html


def test_markup_in_a_learners_name_or_a_word_is_shown_as_text(scenario, today):
    """Names and words come from users (a profile, a teacher's word list): pages print them escaped, and the
    Content Security Policy would refuse an inline script that got through anyway (test_browser.py)."""
    markup = '<img src=x onerror="alert(1)">'
    profile = scenario.ana.learner_profile
    profile.display_name = markup
    profile.save()
    word = scenario.words[1]  # perro, the classroom's hardest word
    word.text = "</script><script>alert(2)</script>"
    word.save()
    html = client_of(scenario.teacher).get(f"/dashboard/classrooms/{scenario.classroom.pk}/").content.decode()
    assert markup not in html and "<script>alert(2)" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html


# --- login and logout ------------------------------------------------------------------------------


def test_login_page_logs_in_and_goes_to_the_dashboard(scenario):
    client = Client()
    page = client.get("/accounts/login/?next=/dashboard/")
    assert page.status_code == 200 and '<input type="hidden" name="next" value="/dashboard/">' in (
        page.content.decode())
    response = client.post("/accounts/login/", {"username": "teacher", "password": factories.PASSWORD,
                                                "next": "/dashboard/"})
    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard/")


def test_login_with_a_wrong_password_says_so(scenario):
    response = Client().post("/accounts/login/", {"username": "teacher", "password": "wrong"})
    assert response.status_code == 200
    assert ("Please enter a correct username and password. Note that both fields may be case-sensitive."
            in response.content.decode())


def test_logout_is_a_post_and_returns_to_the_login_page(scenario):
    client = client_of(scenario.teacher)
    response = client.post("/accounts/logout/")
    assert (response.status_code, response.headers["Location"]) == (302, "/accounts/login/")
    assert client.get("/dashboard/").status_code == 302


# --- assignments ---------------------------------------------------------------------------------------------


def shown(fragment: str) -> str:
    """An HTML fragment's text as a reader sees it: tags dropped, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", fragment).split())


def table_text(html: str, testid: str) -> list[list[str]]:
    """The text of each cell of each body row of the table ``data-testid=testid``."""
    body = re.search(rf'data-testid="{testid}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [[shown(cell) for cell in re.findall(r"<t[hd][ >].*?</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[ >].*?</tr>", body, re.S)]


def checklist(html: str) -> list[str]:
    """The text of each assignment of the page's lists."""
    return [shown(li) for li in re.findall(r"<li data-assignment-id.*?</li>", html, re.S)]


def test_the_classroom_page_shows_each_assignment_with_who_is_overdue(scenario, today):
    html = client_of(scenario.teacher).get(f"/dashboard/classrooms/{scenario.classroom.pk}/").content.decode()
    assert table_text(html, "assignments-table") == [
        ["El gato story", "Tue 18 Mar", "1 of 3", "0", "2", "Ana Ortiz, Carla Vega"],
        ["Animal words word list", "Wed 19 Mar", "2 of 3", "0", "1", "Carla Vega"],
        ["Animals quiz exam", "Sat 22 Mar", "1 of 3", "0", "2", "–"],
        ["Greetings word list", "Tue 25 Mar", "0 of 3", "2", "1", "–"],
        ["Memory game", "–", "2 of 3", "0", "1", "–"],
    ]
    assert f'<a class="bad" href="/dashboard/learners/{scenario.carla.pk}/">Carla Vega</a>' in html
    assert "Quiz français" not in html


def test_a_classroom_without_assignments_says_so(scenario, today):
    html = client_of(scenario.rival).get(f"/dashboard/classrooms/{scenario.rival_classroom.pk}/").content.decode()
    assert "Quiz français" in html
    Assignment.objects.filter(classroom=scenario.rival_classroom).delete()
    html = client_of(scenario.rival).get(f"/dashboard/classrooms/{scenario.rival_classroom.pk}/").content.decode()
    assert "Nothing has been assigned in this classroom yet." in html


def test_the_teachers_home_lists_what_is_due_this_week_and_who_is_behind(scenario, today):
    response = client_of(scenario.teacher).get("/dashboard/")
    html = response.content.decode()
    due = response.context["due"]
    assert [(item.assignment.title, [learner.name for learner in item.pending]) for item in due] == [
        ("Animals quiz", ["Bruno Díaz", "Carla Vega"]), ("Greetings", ["Ana Ortiz", "Bruno Díaz", "Carla Vega"])]
    assert [(item.assignment.title, [learner.name for learner in item.overdue_learners])
            for item in response.context["overdue"]] == [
        ("El gato", ["Ana Ortiz", "Carla Vega"]), ("Animal words", ["Carla Vega"])]
    assert re.search(r"Thu 20 Mar – Wed 26 Mar", html)
    assert checklist(html) == [
        "Animals quiz exam Spanish 1A · due Sat 22 Mar · 1 of 3 done Bruno Díaz, Carla Vega",
        "Greetings word list Spanish 1A · due Tue 25 Mar · 0 of 3 done Ana Ortiz, Bruno Díaz, Carla Vega",
        "El gato story Spanish 1A · was due Tue 18 Mar Ana Ortiz, Carla Vega",
        "Animal words word list Spanish 1A · was due Wed 19 Mar Carla Vega",
    ]


def test_a_teacher_with_nothing_due_is_told_so(scenario, today):
    html = client_of(scenario.rival).get("/dashboard/").content.decode()
    assert "Quiz français" in html  # due tomorrow, Dora has not done it
    Assignment.objects.filter(classroom=scenario.rival_classroom).delete()
    html = client_of(scenario.rival).get("/dashboard/").content.decode()
    assert "Nothing is due this week." in html and "Nobody is behind." in html


def test_a_learner_sees_their_own_checklist(scenario, today):
    html = client_of(scenario.ana).get(f"/dashboard/learners/{scenario.ana.pk}/").content.decode()
    assert "<h2>Your assignments</h2>" in html
    assert checklist(html) == [
        "El gato story Spanish 1A · due Tue 18 Mar Overdue · Not started",
        "Animal words word list Spanish 1A · due Wed 19 Mar Done 19 Mar",
        "Animals quiz exam Spanish 1A · due Sat 22 Mar Done 17 Mar",
        "Greetings word list Spanish 1A · due Tue 25 Mar In progress (1 of 2 words)",
        "Memory game Spanish 1A Done 17 Mar",
    ]
    assert re.findall(r'data-status="(\w+)"( data-overdue)?', html) == [
        ("not_started", " data-overdue"), ("done", ""), ("done", ""), ("in_progress", ""), ("done", "")]


def test_a_teacher_sees_a_learners_assignments_of_their_own_classrooms_only(scenario, today):
    elsewhere = factories.ClassroomFactory(name="Art", teacher=scenario.rival)
    factories.MembershipFactory(classroom=elsewhere, student=scenario.ana)
    Assignment.objects.create(classroom=elsewhere, title="Colours", exam=scenario.exam, due_date=TODAY)
    teachers_view = checklist(client_of(scenario.teacher).get(f"/dashboard/learners/{scenario.ana.pk}/")
                              .content.decode())
    own_view = checklist(client_of(scenario.ana).get(f"/dashboard/learners/{scenario.ana.pk}/").content.decode())
    assert [line.split(" ")[0] for line in teachers_view] == ["El", "Animal", "Animals", "Greetings", "Memory"]
    # Set after she took that exam: not done; due today, not overdue yet.
    assert own_view[2] == "Colours exam Art · due Thu 20 Mar Not started"


# --- the memory model's panels -----------------------------------------------------------------------------


def predicted(reviews) -> tuple[float, bool]:
    """FSRS's (default, uncalibrated) recall of a word on TODAY after ``reviews`` ((day, correct)), and whether
    it is due."""
    from learning_events import memory

    state = memory.replay(reviews)
    due = state.last_review + timedelta(days=memory.interval_days(state.stability, 1.0, memory.Calibration(), 0.9))
    return float(memory.recall(state.stability, (TODAY - state.last_review).days)), due <= TODAY


def test_the_learner_page_lists_their_due_words_lowest_recall_first(scenario, today):
    w1, w2, w3 = scenario.words
    recall = {w1.pk: predicted([(D1, True)]), w2.pk: predicted([(D1, False), (D2, True)]),
              w3.pk: predicted([(D2, False)])}
    due = sorted((word for word, (_, is_due) in recall.items() if is_due), key=lambda word: recall[word][0])
    assert len(due) >= 2  # the scenario's words are due the day after it: the order below is a real one
    response = client_of(scenario.ana).get(f"/dashboard/learners/{scenario.ana.pk}/")
    reviews = response.context["reviews"]
    assert (reviews["today"], reviews["tracked"], reviews["due"]) == (TODAY, 3, len(due))
    assert [(w["word_id"], w["recall"]) for w in reviews["words"]] == [
        (word, pytest.approx(recall[word][0])) for word in due]
    html = response.content.decode()
    panel = html[html.index('data-testid="reviews-panel"'):]
    assert [int(word) for word in re.findall(r'<tr data-word-id="(\d+)">', panel.split("</section>")[0])] == due
    assert '<dd data-figure="tracked">3</dd>' in panel


def test_a_learner_without_reviews_is_told_predictions_start_later(scenario, today):
    html = client_of(scenario.carla).get(f"/dashboard/learners/{scenario.carla.pk}/").content.decode()
    assert "No words practised yet: predictions start after the first practice." in html


def test_the_classroom_page_shows_its_retention(scenario, today):
    w1, w2, w3 = scenario.words
    response = client_of(scenario.teacher).get(f"/dashboard/classrooms/{scenario.classroom.pk}/")
    retention = response.context["retention"]
    mean = {w1.pk: (predicted([(D1, True)])[0] + predicted([(D2, True)])[0]) / 2,
            w2.pk: (predicted([(D1, False), (D2, True)])[0] + predicted([(D2, False)])[0]) / 2,
            w3.pk: (predicted([(D2, False)])[0] + predicted([(D2, True)])[0]) / 2}
    assert [(w["word_id"], w["learners"], w["mean_recall"], w["text"]) for w in retention["words"]] == [
        (word, 2, pytest.approx(mean[word]), {w1.pk: "gato", w2.pk: "perro", w3.pk: "caballo"}[word])
        for word in sorted(mean, key=mean.get)]
    assert [(r["name"], r["tracked"]) for r in retention["learners"]][-1] == ("Carla Vega", 0)
    assert {r["name"] for r in retention["learners"]} == {"Ana Ortiz", "Bruno Díaz", "Carla Vega"}
    html = response.content.decode()
    assert 'data-testid="retention-panel"' in html and 'data-testid="retention-learners"' in html
