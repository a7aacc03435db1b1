"""Request bodies are strict JSON: no NaN, no infinity, no lone surrogates, no huge integers.

Python's ``json`` reads ``NaN``, ``Infinity``, ``1e309`` (as infinity), integers of any size
and ``"\\ud800"`` (a lone surrogate, which no database can store) without complaint; each then
fails later, deep in a handler or a driver, as a 500. ``StrictJsonMiddleware`` reads every
JSON body first and answers 422 in FastAPI's own ``json_invalid`` shape, naming the position
and what to send instead, before any route sees it. Bodies over the byte cap are passed on
unread (the app's body limit answers 413).
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["StrictJsonMiddleware", "check_json"]

MAX_INT = 2**63 - 1  # what every database's BIGINT holds
INLINE_CHECK_BYTES = 64 * 1024  # larger bodies are checked in the thread pool
_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class BadJsonError(ValueError):
    """A body that is not strict JSON; ``pos`` is the character where it goes wrong."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON; send null for a missing value")


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is beyond the largest float (~1.8e308)")
    return value


def _int(text: str) -> int:
    if len(text) > 20:
        raise ValueError(f"integer {text[:20]}... is beyond ±2^63-1; write it as a float")
    value = int(text)
    if abs(value) > MAX_INT:
        raise ValueError(f"integer {text} is beyond ±2^63-1; write it as a float")
    return value


def check_json(body: bytes) -> None:
    """``BadJsonError`` unless ``body`` is UTF-8 JSON with finite numbers, integers within
    ±2^63-1 and strings of whole Unicode characters."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadJsonError(f"the body is not UTF-8 ({exc.reason} at byte {exc.start})", 0) from None
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise BadJsonError(exc.msg, exc.pos) from None
    except ValueError as exc:  # from the hooks: the decoder does not say where
        raise BadJsonError(str(exc), _position_of(text, exc)) from None
    found = _SURROGATE_ESCAPE.search(text)
    if found is not None:  # maybe a valid pair (an emoji); a lone one cannot be encoded
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise BadJsonError(
                f"a string holds a lone UTF-16 surrogate ({found.group()}); send valid "
                "Unicode (surrogates only in high-low pairs)",
                found.start(),
            ) from None


def _position_of(text: str, exc: ValueError) -> int:
    token = str(exc).split(" ", 1)[0].removesuffix("...")
    for candidate in (token, token.lstrip("-")):
        if candidate and (at := text.find(candidate)) >= 0:
            return at
    return 0


class StrictJsonMiddleware:
    """Check JSON request bodies (``check_json``) before the app reads them: 422 if bad."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay(chunks, receive, message), send)
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if size > self.max_body_bytes:  # the app's body limit answers 413
                await self.app(scope, _replay(chunks, receive, None, more=more), send)
                return
        body = b"".join(chunks)
        if body:
            try:
                if len(body) > INLINE_CHECK_BYTES:  # ~20 ms per MB: not on the event loop
                    await run_in_threadpool(check_json, body)
                else:
                    check_json(body)
            except BadJsonError as exc:
                await _refuse(exc, send)
                return
        await self.app(scope, _replay([body], receive, None, more=False), send)


def _is_json(scope: Scope) -> bool:
    """Whether FastAPI would read the body as JSON: a JSON content type, or none."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or (
                kind.startswith(b"application/") and kind.endswith(b"+json")
            )
    return True


def _replay(
    chunks: list[bytes], receive: Receive, last: Message | None, *, more: bool = False
) -> Receive:
    """A ``receive`` that hands out what was read (as one message), then the rest."""
    pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": more}]
    if last is not None:
        pending.append(last)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _refuse(exc: BadJsonError, send: Send) -> None:
    error = {
        "type": "json_invalid",
        "loc": ["body", exc.pos],
        "msg": f"JSON decode error: {exc}",
        "input": {},
        "ctx": {"error": str(exc)},
    }
    payload = json.dumps({"detail": [error]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
