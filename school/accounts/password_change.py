"""A password change revokes every API token of the person, however the password was changed.

Django calls ``password_changed(password, user)`` on each of ``AUTH_PASSWORD_VALIDATORS`` whenever a user is
saved after ``set_password()``: the admin's password form, ``manage.py changepassword``, Django's
password-change and reset views, any code that sets a password (a hash upgrade at sign-in is not a change).
That is the one place every change passes, so the revocation hangs there rather than on each form or on a
``post_save`` signal, which cannot tell a new password from any other save.
"""

from .services import revoke_all_tokens


class RevokeTokensOnPasswordChange:
    """Listed in ``AUTH_PASSWORD_VALIDATORS``; accepts every password and states the rule in the forms' help."""

    def validate(self, password: str, user=None) -> None:
        return None

    def password_changed(self, password: str, user) -> None:
        revoke_all_tokens(user=user)

    def get_help_text(self) -> str:
        return "Changing the password signs the account out of the API everywhere: every token stops working."
