"""LLM faults against a fault-injecting server on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ir_harness.llm import LLMError, LLMSession, make_llm
from ir_harness.llm.session import check_llm_faults
from ir_harness.run.config import LLMPolicy
from ir_harness.run.context import RunContext
from tests.harness.llm.test_openai_http import FaultServer, ok_body
from tests.probe.helpers import assert_clean_error, harness, tree_digest

pytest.importorskip("httpx")


def _answer(text: str):  # type: ignore[no-untyped-def]
    return lambda body: (200, {}, ok_body(text), 0.0)


def test_cache_key_includes_the_endpoint(tmp_path: Path) -> None:
    """The same model name on another server must not get the first one's answers."""
    ctx = RunContext(cache_dir=tmp_path)
    with FaultServer(default=_answer("from A")) as a, FaultServer(default=_answer("from B")) as b:
        for srv, want in ((a, "from A"), (b, "from B"), (a, "from A")):
            with LLMSession(make_llm(f"openai:same-name@{srv.url}", max_retries=0), ctx) as s:
                assert s.complete("hello").text == want
        assert len(a.requests) == 1 and len(b.requests) == 1  # the third call was a cache hit


def test_unusable_answer_is_counted_and_never_cached(tmp_path: Path) -> None:
    ctx = RunContext(cache_dir=tmp_path)
    with FaultServer(default=_answer("no grade here")) as srv:
        for _ in range(2):
            llm = make_llm(f"openai:m@{srv.url}", max_retries=0)
            with LLMSession(llm, ctx) as s:
                s.complete("q", accept=lambda t: t.startswith("Score"))
        assert len(srv.requests) == 2  # asked again: the failed answer was not cached
    assert ctx.stats["llm_failed_answers"] == 2 and ctx.stats["llm_answers"] == 2
    with pytest.raises(Exception, match="2 of 2 LLM answers"):
        check_llm_faults(ctx.stats, LLMPolicy())


def test_retries_are_recorded(tmp_path: Path) -> None:
    ctx = RunContext(cache_dir=tmp_path)
    script = [(429, {"retry-after": "0"}, "slow down", 0.0), (503, {}, "busy", 0.0)]
    with FaultServer(script, default=_answer("ok")) as srv:
        with LLMSession(make_llm(f"openai:m@{srv.url}", backoff_s=0.01), ctx) as s:
            assert s.complete("x").text == "ok"
    assert ctx.stats["llm_retries"] == 2


@pytest.mark.parametrize("damage", ["garbage-file", "bad-row"])
def test_corrupt_response_cache_is_rebuilt(tmp_path: Path, damage: str) -> None:
    ctx = RunContext(cache_dir=tmp_path)
    path = tmp_path / "llm" / "responses.sqlite"
    with FaultServer(default=_answer("fresh")) as srv:
        with LLMSession(make_llm(f"openai:m@{srv.url}"), ctx) as s:
            s.complete("x")
        if damage == "garbage-file":
            for p in path.parent.iterdir():
                p.unlink()
            path.write_bytes(b"garbage" * 1000)
        else:
            db = sqlite3.connect(path)
            db.execute("UPDATE resp SET value = '{broken'")
            db.commit()
            db.close()
        with LLMSession(make_llm(f"openai:m@{srv.url}"), ctx) as s:
            assert s.complete("x").text == "fresh"


def test_timeout_and_attempts_come_from_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_LLM_TIMEOUT_S", "99")  # read by the command line only
    llm = make_llm("openai:m@http://127.0.0.1:9/v1", policy=LLMPolicy(timeout_s=7.5, attempts=2))
    assert llm.describe()["timeout_s"] == 7.5 and llm.describe()["attempts"] == 2
    assert make_llm("openai:m@http://127.0.0.1:9/v1").describe()["timeout_s"] == 120.0


def test_timeout_and_attempts_come_from_the_environment_on_the_command_line(
    tmp_path: Path,
) -> None:
    with FaultServer(default=_answer("Score: 2")) as srv:
        a = harness(
            "run", "-s", "overlap>judge", "-t", "tiny", "--device", "cpu", "--quiet", "--json",
            "--results", str(tmp_path / "results"), "--llm", f"openai:m@{srv.url}",
            HARNESS_CACHE_DIR=str(tmp_path / "cache"), HARNESS_LLM_TIMEOUT_S="7.5",
            HARNESS_LLM_ATTEMPTS="2",
        )  # fmt: skip
    assert a.rc == 0, a.err
    meta = json.loads((Path(json.loads(a.out)["result_dir"]) / "metadata.json").read_text())
    assert meta["stages"][1]["parameters"]["llm"]["attempts"] == 2
    assert meta["llm_policy"] == {
        "timeout_s": 7.5,
        "attempts": 2,
        "max_failed_share": 0.5,
        "allow_failures": False,
    }


def _judge_run(tmp_path: Path, srv: FaultServer, *extra: str):  # type: ignore[no-untyped-def]
    return harness(
        "run", "-s", "overlap>judge", "-t", "tiny", "--device", "cpu", "--quiet", "--json",
        "--results", str(tmp_path / "results"), "--llm", f"openai:m@{srv.url}",
        "--llm-attempts", "1", *extra,
        HARNESS_CACHE_DIR=str(tmp_path / "cache"),
    )  # fmt: skip


def test_run_where_every_answer_fails_is_refused_then_stored_when_allowed(tmp_path: Path) -> None:
    with FaultServer(default=_answer("I cannot tell")) as srv:
        a = _judge_run(tmp_path, srv)
        assert_clean_error(a, "of 6 LLM answers", "--allow-llm-failures")
        assert tree_digest(tmp_path / "results" / "tiny") == {}
        b = _judge_run(tmp_path, srv, "--allow-llm-failures")
    assert b.rc == 0, b.err
    stats = json.loads(b.out)["stats"]
    assert stats["llm_failed_answers"] == 6 and stats["llm_failed_share"] == 1.0


def test_bad_llm_option_values_exit_2(tmp_path: Path) -> None:
    for opt, value in (
        ("--llm-timeout", "0"),
        ("--llm-attempts", "0"),
        ("--llm-max-failed-share", "2"),
    ):
        a = harness("run", "-s", "overlap", "-t", "tiny", opt, value)
        assert_clean_error(a, opt)


def test_server_down_is_one_clean_error(tmp_path: Path) -> None:
    a = harness(
        "run", "-s", "overlap>judge", "-t", "tiny", "--device", "cpu", "--quiet",
        "--results", str(tmp_path / "r"), "--llm", "openai:m@http://127.0.0.1:9/v1",
        "--llm-attempts", "1", HARNESS_CACHE_DIR=str(tmp_path / "cache"),
    )  # fmt: skip
    assert_clean_error(a, "127.0.0.1:9")


def test_fatal_http_error_is_one_clean_line(tmp_path: Path) -> None:
    with FaultServer(default=lambda body: (401, {}, '{"error": "bad key"}', 0.0)) as srv:
        a = _judge_run(tmp_path, srv)
    assert_clean_error(a, "HTTP 401", srv.url)
    assert tree_digest(tmp_path / "results" / "tiny") == {}


def test_retry_after_is_honoured_and_retries_reach_the_stored_metadata(tmp_path: Path) -> None:
    script = [(429, {"retry-after": "0"}, "slow down", 0.0), (503, {}, "busy", 0.0)]
    with FaultServer(script, default=_answer("Score: 2")) as srv:
        a = _judge_run(tmp_path, srv, "--llm-attempts", "3")
    assert a.rc == 0, a.err
    meta = json.loads((Path(json.loads(a.out)["result_dir"]) / "metadata.json").read_text())
    assert meta["stats"]["llm_retries"] == 2 and meta["stats"].get("llm_failed_answers", 0) == 0
    assert meta["stats"]["llm_answers"] == 6
    assert meta["stages"][1]["parameters"]["llm"]["attempts"] == 3


@pytest.mark.parametrize(
    "action,names",
    [
        ((200, {}, "<html>not json</html>", 0.0), ("malformed response body", "2 attempts")),
        ((200, {}, '{"choices": []}', 0.0), ("malformed response body",)),
        ((503, {"retry-after": "0"}, "busy", 0.0), ("HTTP 503", "2 attempts")),
    ],
    ids=["html-body", "no-choices", "always-503"],
)
def test_persistent_server_faults_are_one_clean_line(
    action: tuple[int, dict[str, str], str, float], names: tuple[str, ...], tmp_path: Path
) -> None:
    with FaultServer(default=lambda body: action) as srv:
        a = _judge_run(tmp_path, srv, "--llm-attempts", "2")
    assert_clean_error(a, *names)
    assert tree_digest(tmp_path / "results" / "tiny") == {}


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_says_so_and_where_to_with_secrets_masked(status: int) -> None:
    """Never followed (the key would go with it); the error names the status and the target."""
    from tests.harness.llm.test_openai_http import client, req

    to = "http://other.example:8080/v1/chat/completions?api_key=sk-live-123&x=1"
    with FaultServer([(status, {"Location": to}, "", 0.0)]) as srv:
        with pytest.raises(LLMError) as e:
            req(client(srv))
    msg = str(e.value)
    assert f"HTTP {status}" in msg and "redirect" in msg, msg
    assert "other.example:8080/v1/chat/completions" in msg and "sk-live-123" not in msg, msg
    assert "malformed" not in msg and len(srv.requests) == 1


def _bad_answer(content: object, usage: dict[str, object]) -> str:
    choice = {"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
    return json.dumps({"choices": [choice], "usage": usage})


@pytest.mark.parametrize(
    ("content", "usage", "named"),
    [
        ({"grade": 2}, {"prompt_tokens": 1, "completion_tokens": 1}, "content"),
        (["Score: 2"], {"prompt_tokens": 1, "completion_tokens": 1}, "content"),
        ("Score: 2", {"prompt_tokens": "seven", "completion_tokens": 1}, "prompt_tokens"),
        ("Score: 2", {"prompt_tokens": 1, "completion_tokens": float("nan")}, "completion_tokens"),
    ],
    ids=["content-object", "content-list", "tokens-text", "tokens-nan"],
)
def test_an_answer_of_the_wrong_type_is_a_clear_error(
    content: object, usage: dict[str, object], named: str
) -> None:
    from tests.harness.llm.test_openai_http import client, req

    with FaultServer(default=lambda b: (200, {}, _bad_answer(content, usage), 0.0)) as srv:
        with pytest.raises(LLMError) as e:
            req(client(srv, max_retries=1))
    assert named in str(e.value) and "expected" in str(e.value), str(e.value)
