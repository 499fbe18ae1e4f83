"""Credentials in an endpoint URL are never stored, logged or shown.

A local OpenAI-compatible server on 127.0.0.1 is reached with a password in the ``--llm`` URL
and in ``$OPENAI_BASE_URL``; afterwards every file written (results, cache, leaderboard site)
and everything printed is searched for the passwords."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from ir_harness.redact import SecretSpec, protect, redact_text, redact_url, reveal
from tests.harness.llm.test_openai_http import FaultServer, ok_body
from tests.probe.helpers import Answer, assert_clean_error, harness

pytest.importorskip("httpx")

PW_SPEC, PW_ENV, PW_FAIL = "Spec-pw-4711", "Env-pw-0815", "Fail-pw-9999"


def _with_password(url: str, pw: str) -> str:
    return url.replace("http://", f"http://alice:{pw}@")


def _grep(root: Path, needle: str) -> list[str]:
    """Files under ``root`` whose name or bytes contain ``needle``."""
    hits = []
    for p in root.rglob("*"):
        if needle in p.name or (p.is_file() and needle.encode() in p.read_bytes()):
            hits.append(str(p))
    return hits


def _run(tmp_path: Path, llm: str, *extra: str, quiet: bool = True, **env: str) -> Answer:
    return harness(
        "run", "-s", "overlap>judge", "-t", "tiny", "--device", "cpu", "--json",
        "--results", str(tmp_path / "results"), "--llm", llm, "--llm-attempts", "2",
        *(("--quiet",) if quiet else ()), *extra,
        HARNESS_CACHE_DIR=str(tmp_path / "cache"), **env,
    )  # fmt: skip


def test_password_in_url_and_env_is_found_nowhere(tmp_path: Path) -> None:
    answers: list[Answer] = []
    with FaultServer(
        default=lambda body: (200, {}, ok_body("Score: 2"), 0.0), max_requests=200
    ) as srv:
        answers.append(_run(tmp_path, f"openai:m1@{_with_password(srv.url, PW_SPEC)}"))
        answers.append(_run(tmp_path, "openai:m2", OPENAI_BASE_URL=_with_password(srv.url, PW_ENV)))
        # not quiet: the INFO logs (httpx's request line among them) are on stderr
        answers.append(_run(tmp_path, f"openai:m3@{_with_password(srv.url, PW_SPEC)}", quiet=False))
        assert len(srv.requests) >= 18, len(srv.requests)
    for a in answers:
        assert a.rc == 0, a.err[-2000:]
    with FaultServer(default=lambda body: (503, {"retry-after": "0"}, "busy", 0.0)) as bad:
        failed = _run(tmp_path, f"openai:m4@{_with_password(bad.url, PW_FAIL)}")
    assert_clean_error(failed, "giving up after 2 attempts", "***@127.0.0.1")
    answers.append(failed)
    site = harness(
        "leaderboard", "build", "--results", str(tmp_path / "results"), "--out",
        str(tmp_path / "site"),
    )  # fmt: skip
    assert site.rc == 0, site.err
    answers.append(site)

    stored = [json.loads(a.out)["result_dir"] for a in answers[:3]]
    assert len(set(stored)) == 3  # three models: three results, each under its redacted label
    for pw in (PW_SPEC, PW_ENV, PW_FAIL, base64.b64encode(f"alice:{PW_SPEC}".encode()).decode()):
        for a in answers:
            assert pw not in a.out and pw not in a.err, (pw, a.err[-2000:])
        for root in ("results", "cache", "site"):
            assert _grep(tmp_path / root, pw) == [], (pw, root)
    meta = json.loads((Path(stored[0]) / "metadata.json").read_text())
    assert "alice:***@" not in meta["command"] and "***@127.0.0.1" in meta["command"]
    assert meta["stages"][1]["parameters"]["llm"]["base_url"].startswith("http://***@127.0.0.1")
    meta_env = json.loads((Path(stored[1]) / "metadata.json").read_text())
    assert meta_env["stages"][1]["parameters"]["llm"]["base_url"].startswith("http://***@")


def test_the_credentials_still_reach_the_server() -> None:
    """Redaction must not break authentication: the client still sends the basic-auth header,
    while the backend's description and identity hold only the redacted URL."""
    from ir_harness.llm import make_llm

    llm = make_llm(f"openai:m@{_with_password('http://127.0.0.1:9/v1', PW_SPEC)}")
    try:
        assert PW_SPEC not in json.dumps(llm.describe()) and PW_SPEC not in llm.fingerprint
        req = llm._client.build_request("POST", "/chat/completions")
        auth = llm._client._build_request_auth(req).auth_flow(req)
        sent = next(auth).headers.get("authorization")
    finally:
        llm.close()
    assert sent == "Basic " + base64.b64encode(f"alice:{PW_SPEC}".encode()).decode()


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("http://u:pw@h:1/v1", "http://***@h:1/v1"),
        ("https://tok@h/v1?api_key=abc&x=1", "https://***@h/v1?api_key=***&x=1"),
        ("https://h/v1?token=abc&sig=zz&Key=k", "https://h/v1?token=***&sig=***&Key=***"),
        ("https://h/v1", "https://h/v1"),
    ],
)
def test_redact_url(raw: str, clean: str) -> None:
    assert redact_url(raw) == clean


def test_redact_text_and_secret_spec() -> None:
    text = "POST http://u:pw@h/v1 failed; Authorization: Bearer sk-123 and bearer abc"
    out = redact_text(text)
    assert "sk-123" not in out and "abc" not in out and "u:pw" not in out
    spec = protect("openai:m@http://u:pw@h/v1")
    assert isinstance(spec, SecretSpec) and spec == "openai:m@http://***@h/v1"
    assert f"{spec}" == repr(spec)[1:-1] == json.loads(json.dumps(spec)) == str(spec)
    assert "pw" not in f"{spec!r}{spec}{json.dumps({'llm': spec})}"
    assert reveal(spec) == "openai:m@http://u:pw@h/v1"
    import pickle

    assert reveal(pickle.loads(pickle.dumps(spec))) == "openai:m@http://u:pw@h/v1"
    assert protect("bm25") == "bm25" and type(protect("bm25")) is str
