"""Ending the `farmstead login` keys of directory users the directory no longer lets in.

Owns: a daemon thread that, every `ldap_recheck_seconds`, has Sessions.recheck_login_keys ask the
directory about each directory user holding an unexpired login key, and delete the keys of those it
no longer lets in (removed, disabled, filtered out). The API trusts a looked-up login key for at most
two seconds (api/key_cache.py), so their access ends within the re-check window plus that.
Every replica runs one: the questions are few (only users holding live login keys) and deleting twice is harmless.
Must not: decide who may sign in (the directory's filter does) or write SQL (store/identity.py does).
"""

from __future__ import annotations

import logging
import threading

from farmstead.store.engine import StoreBusy, StoreUnavailable
from farmstead.web.signin import Sessions

log = logging.getLogger("farmstead.web.login_rechecks")


class LoginKeyRechecks:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="farmstead-login-rechecks", daemon=True)

    def start(self) -> None:
        if self._sessions.directory is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        directory = self._sessions.directory
        assert directory is not None
        while not self._stop.wait(directory.recheck_seconds):
            try:
                self._sessions.recheck_login_keys()
            except (StoreBusy, StoreUnavailable) as err:  # asked again next window
                log.warning("could not re-check the login keys of directory users: %s", err)
            except Exception:  # the thread must outlive one bad pass; the log has it
                log.exception("re-checking the login keys of directory users failed")
