"""The production settings (school/config/settings.py, "production"): each case loads the settings in a fresh
interpreter with its own environment, since they are read once, at import."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

ROOT = settings.BASE_DIR
SECRET = "x" * 20 + "a-long-random-secret-for-these-tests-only-0123456789"
SETTINGS_VARIABLES = ("DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS", "DJANGO_DEPLOYED", "DJANGO_HTTPS",
                      "DJANGO_SECURE_PROXY", "DJANGO_HSTS_SECONDS", "DJANGO_HSTS_INCLUDE_SUBDOMAINS",
                      "DJANGO_HSTS_PRELOAD", "DJANGO_CSRF_TRUSTED_ORIGINS")
PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({name: getattr(settings, name, None) for name in (
    "DEPLOYED", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "CSRF_TRUSTED_ORIGINS")}))
"""


def run(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    """``args`` run from the repository root with the school's settings, under ``variables`` and none of the
    settings' own variables of this process."""
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    env.update(variables, DJANGO_SETTINGS_MODULE="school.config.settings",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def settings_under(**variables: str) -> dict:
    result = run([sys.executable, "-c", PRINT_SETTINGS], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_deployment_checklist_passes_under_production_settings_without_a_single_warning():
    result = run(["./scripts/check_deploy"], PYTHON=sys.executable)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("System check identified no issues")


def test_a_deployed_site_refuses_to_start_with_the_development_secret_key():
    result = run([sys.executable, "school/manage.py", "check"], DJANGO_ALLOWED_HOSTS="learning.example.org")
    assert result.returncode == 1
    assert ("django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY must be set to a long random value "
            "(at least 50 characters") in result.stderr


def test_a_deployed_site_refuses_a_short_secret_key():
    result = run([sys.executable, "school/manage.py", "check"], DJANGO_ALLOWED_HOSTS="learning.example.org",
                 DJANGO_SECRET_KEY="short-but-not-the-default")
    assert result.returncode == 1
    assert "DJANGO_SECRET_KEY must be set to a long random value" in result.stderr


def test_on_this_machine_over_http_nothing_changes_for_make_run():
    assert settings_under() == {
        "DEPLOYED": False, "SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False, "SECURE_PROXY_SSL_HEADER": None, "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": False, "CSRF_TRUSTED_ORIGINS": [],
    }


def test_a_public_host_name_turns_on_https_secure_cookies_and_a_years_hsts():
    assert settings_under(DJANGO_ALLOWED_HOSTS="learning.example.org", DJANGO_SECRET_KEY=SECRET) == {
        "DEPLOYED": True, "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True, "SECURE_PROXY_SSL_HEADER": None, "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": False, "CSRF_TRUSTED_ORIGINS": [],
    }


def test_behind_a_tls_proxy_its_forwarded_protocol_is_trusted_and_each_setting_can_be_changed():
    assert settings_under(DJANGO_ALLOWED_HOSTS="learning.example.org", DJANGO_SECRET_KEY=SECRET,
                          DJANGO_SECURE_PROXY="true", DJANGO_HSTS_SECONDS="600", DJANGO_HSTS_PRELOAD="true",
                          DJANGO_HSTS_INCLUDE_SUBDOMAINS="false",
                          DJANGO_CSRF_TRUSTED_ORIGINS="https://learning.example.org, https://app.example.org") == {
        "DEPLOYED": True, "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True, "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 600, "SECURE_HSTS_INCLUDE_SUBDOMAINS": False, "SECURE_HSTS_PRELOAD": True,
        "CSRF_TRUSTED_ORIGINS": ["https://learning.example.org", "https://app.example.org"],
    }


def test_a_deployment_without_https_says_so_and_gets_no_https_only_settings():
    assert settings_under(DJANGO_ALLOWED_HOSTS="10.0.0.5", DJANGO_SECRET_KEY=SECRET, DJANGO_HTTPS="false") == {
        "DEPLOYED": True, "SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False, "SECURE_PROXY_SSL_HEADER": None, "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": False, "CSRF_TRUSTED_ORIGINS": [],
    }
