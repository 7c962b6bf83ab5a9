"""Who is reviewing: a login, a reverse proxy's header, or (auth off) the name typed in the sidebar.

With auth on (verify/roles.py) the reviewer recorded on every event is the logged-in username, put
in the session by this module on every run: no widget holds it, so the browser cannot change it, and
the write functions check that name's role in the users file again anyway. With auth off the page is
today's one-person dashboard, unless it is served on a non-loopback address: then it refuses to run,
as `verify ui` does, because anyone reaching it could decide claims in anyone's name.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from ui import sidebar
from ui.decision import REVIEWER_KEY
from ui.render import md
from verify import roles
from verify.config import Settings
from verify.errors import VerifyError

EXPOSED = ("This dashboard is served on {address} with no login: anyone who reaches it could decide claims in anyone's "
           "name. Set VERIFY_AUTH_CONFIG (a users file) or VERIFY_TRUSTED_USER_HEADER (behind a login proxy), or serve "
           "it on 127.0.0.1.")


def render_identity() -> bool:
    """Establish the reviewer for this run; False when the page must stop here (login form, refusal)."""
    try:
        settings = Settings.from_env()
        how = roles.mode(settings)
        if how == "off":
            return one_person()
        who = header_user(st.context.headers, settings) if how == "header" else password_login(settings)
    except VerifyError as exc:  # a broken users file: say so, show nothing else
        st.error(md(f"error: {exc}"))
        return False
    if who is None:
        st.session_state.pop(REVIEWER_KEY, None)
        return False
    st.session_state[REVIEWER_KEY] = who.username
    st.sidebar.markdown(f"Signed in as **{md(who.name)}** ({md(who.username)}) · {who.role}")
    return True


def one_person() -> bool:
    address = st.get_option("server.address")
    if address and not roles.is_loopback(address):
        st.error(md(EXPOSED.format(address=address)))
        return False
    sidebar.render_reviewer()
    return True


def header_user(headers: Mapping[str, str], settings: Settings) -> roles.TeamUser | None:
    """The user the authenticating proxy names in its header (a user the users file does not list is a
    reviewer). No header: the request did not come through the proxy."""
    username = (headers.get(settings.trusted_user_header) or "").strip()
    if not username:
        st.error(md(f"No {settings.trusted_user_header} header on this request: open the dashboard through "
                    "the newsroom's login proxy."))
        return None
    return roles.user(username, settings)


def password_login(settings: Settings) -> roles.TeamUser | None:
    """streamlit-authenticator's login form (bcrypt passwords, a signed re-login cookie); the user's role
    is read from the users file on every run, so a user removed from it is out at once."""
    import streamlit_authenticator as stauth  # imported here: only a team set-up needs it

    config = roles.load(settings.auth_config)
    authenticator = stauth.Authenticate(config.credentials.model_dump(), config.cookie.name, config.cookie.key,
                                        config.cookie.expiry_days, auto_hash=False)
    if st.session_state.get("authentication_status"):
        # Drawn before the login form: a click logs out, deletes the cookie and shows the form in this same
        # run (a rerun here could cut off the cookie's deletion).
        logout_button(authenticator)
    log_in_form(authenticator)
    status = st.session_state.get("authentication_status")
    if status is False:
        st.error("Wrong username or password.")
    if not status:
        return None
    who = roles.users(settings).get(st.session_state.get("username") or "")
    if who is None:  # logged in, then taken out of the users file
        authenticator.logout(location="unrendered")
        st.error("Your account is no longer in the users file: ask an admin.")
        return None
    if "verify_logout" not in st.session_state:  # just logged in with the form
        logout_button(authenticator)
    return who


def log_in_form(authenticator) -> None:
    from streamlit_authenticator.utilities.exceptions import LoginError

    fields = {"Form name": "Log in to review", "Username": "Username", "Password": "Password", "Login": "Log in"}
    try:
        authenticator.login(location="main", key="login", fields=fields)
    except LoginError:  # a still-valid cookie of a user since taken out of the file: ignore it, ask again
        st.session_state["logout"] = True  # the library then reads no cookie in this session
        authenticator.login(location="main", key="login", fields=fields)


def logout_button(authenticator) -> None:
    with st.sidebar:  # not key "logout": the library keeps a session value by that name
        authenticator.logout("Log out", location="sidebar", key="verify_logout", callback=_forget)


def _forget(_info=None) -> None:
    st.session_state.pop(REVIEWER_KEY, None)
