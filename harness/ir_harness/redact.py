"""One redaction rule for every URL and credential the harness sees.

A URL's userinfo (``user:password@``), the values of credential-like query parameters
(``api_key``, ``token``, ``key``, ``sig``, ...) and ``Authorization``/``Bearer`` values are
replaced by ``***``. The rule is applied where a credential enters (an ``--llm`` spec, an
endpoint URL, ``$OPENAI_BASE_URL``), so names, identities, metadata, logs and errors only ever
hold the redacted form. A spec that carries a secret travels as a :class:`SecretSpec`: a string
whose text is the redacted form, with the original kept aside for the one place that needs it
(the backend's HTTP client, see :func:`reveal`).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
# Query parameters whose value is a credential (compared lower-case, '-' read as '_').
SECRET_PARAMS = frozenset(
    {
        "api_key",
        "apikey",
        "key",
        "token",
        "access_token",
        "auth",
        "auth_token",
        "sig",
        "signature",
        "secret",
        "client_secret",
        "password",
        "pass",
        "pwd",
        "x_amz_signature",
        "x_amz_security_token",
        "x_amz_credential",
        "code",
    }
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")
_AUTH = re.compile(
    r"(?i)\b(authorization\s*[:=]\s*(?:(?:bearer|basic|token)\s+)?|bearer\s+)"
    r"([^\s'\",;]+)"
)


def _secret_param(name: str) -> bool:
    return name.lower().replace("-", "_") in SECRET_PARAMS


def redact_url(url: str) -> str:
    """``url`` with userinfo and credential query values masked; unchanged when it has none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _URL.sub(lambda m: MASK, url)  # unparsable: keep nothing of it
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_secret_param(k) for k, _ in pairs):
            query = urlencode([(k, MASK if _secret_param(k) else v) for k, v in pairs], safe="*")
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Every URL in ``text`` redacted, and ``Authorization``/``Bearer`` values masked."""
    if not text or ("://" not in text and not _AUTH.search(text)):
        return text
    out = _URL.sub(lambda m: redact_url(m.group(0)), text)
    return _AUTH.sub(lambda m: m.group(1) + MASK, out)


class SecretSpec(str):
    """A string whose text is the redacted form; :func:`reveal` gives back the original."""

    secret: str

    def __new__(cls, original: str) -> SecretSpec:
        self = super().__new__(cls, redact_text(original))
        self.secret = original
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickled (Ray workers) with its original
        return (SecretSpec, (self.secret,))


def protect(value: Any) -> Any:
    """A string holding a credential as a :class:`SecretSpec`; anything else unchanged."""
    if isinstance(value, str) and not isinstance(value, SecretSpec):
        if redact_text(value) != value:
            return SecretSpec(value)
    return value


def reveal(value: str) -> str:
    """The original text of a :class:`SecretSpec` (for the HTTP client only); else ``value``."""
    return value.secret if isinstance(value, SecretSpec) else value


class RedactingFilter(logging.Filter):
    """Masks credentials in a log record's formatted message (third-party lines included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keeps the record; rewrites its message (args folded in) only when something
        in it was masked."""
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's business, not ours
            return True
        clean = redact_text(msg)
        if clean != msg:
            record.msg, record.args = clean, None
        return True


def filter_http_logs() -> None:
    """Mask credentials in httpx's own log lines (its request line prints the full URL), for
    API users whose logging shows them; idempotent."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


def install_log_filter() -> None:
    """Attach :class:`RedactingFilter` to the root logger's handlers (idempotent), and keep
    httpx's per-request INFO line (it prints the full URL) out of the logs."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    filter_http_logs()
    for h in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in h.filters):
            h.addFilter(RedactingFilter())
