"""What the page accepts, decided without I/O: Host names, bind addresses, passwords,
CSRF tokens and the headers every response carries."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from daemon.errors import ConfigError

# Scripts, styles and pictures come from the page itself; nothing may frame it or be
# posted elsewhere. No inline script: the one script is a file under /static.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    # Not no-referrer: under it Chromium sends `Origin: null` with the page's own forms.
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")
CSRF_FIELD = "csrf"
REALM = "videofree"


def is_loopback(host: str) -> bool:
    """True when binding `host` keeps the page on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def hash_password(password: str) -> bytes:
    return hashlib.sha256(password.encode()).digest()


@dataclass(frozen=True)
class Guard:
    """The page's security settings, fixed when the server starts."""

    names: frozenset[str]  # Host header names accepted (lower case, without port)
    csrf_token: str
    password_hash: bytes | None  # None: loopback, no password asked

    @classmethod
    def build(
        cls, host: str, extra_names: Iterable[str], password: str | None, token: str | None = None
    ) -> Guard:
        """Given the bind address, extra Host names and the env file's password, return the
        guard. Raise ConfigError when a non-loopback bind has no password."""
        if not is_loopback(host) and not password:
            raise ConfigError(
                f"{host} is reachable from other machines: set VIDEOFREE_WEB_PASSWORD in the"
                " env file (~/.config/videofree/env), or keep 127.0.0.1 and use an SSH tunnel",
                key="web.host",
            )
        names = {n.lower() for n in (*LOOPBACK_NAMES, *extra_names)}
        if host not in ("0.0.0.0", "::"):  # noqa: S104 - a wildcard is not a Host name
            names.add(host.lower())
        return cls(
            names=frozenset(names),
            csrf_token=token or secrets.token_urlsafe(32),
            password_hash=hash_password(password) if password else None,
        )

    def host_ok(self, host_header: str | None) -> bool:
        """True when the Host header names this server (a rebound DNS name does not).
        An IP address is always fine: a rebinding attack reaches us under its own name."""
        if not host_header:
            return False
        host = host_header.strip().lower()
        if host.startswith("["):
            name = host[: host.find("]") + 1]
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return name in self.names or _is_ip(name)

    def origin_ok(self, origin: str | None, host_header: str | None) -> bool:
        """A state-changing request must come from this page: no Origin (old browsers,
        curl with the token) or an Origin whose host is the request's own Host."""
        if origin is None:
            return True
        scheme, _, rest = origin.partition("://")
        return scheme in ("http", "https") and rest.lower() == (host_header or "").lower()

    def csrf_ok(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), self.csrf_token.encode())

    def authorized(self, authorization: str | None) -> bool:
        """True when no password is needed, or the basic-auth password matches (any user)."""
        if self.password_hash is None:
            return True
        if not authorization or not authorization.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        _, _, password = decoded.partition(":")
        return hmac.compare_digest(hash_password(password), self.password_hash)
