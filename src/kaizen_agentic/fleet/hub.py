"""The second roster source: a State Hub HTTP API (SPEC §7).

``GET {hub}/repos/`` (optionally ``?domain=…&kaizen_schedule_enabled=true``)
returns a JSON list of ``{slug, domain, host_paths, kaizen_schedule_enabled?}``.
Hub repos count as ``active``; an entry with ``kaizen_schedule_enabled: false``
is left out.

No roster means no safe output, so anything short of a complete, well-formed
answer — unreachable, timed out, non-2xx, not JSON, wrong shape — raises
:class:`HubError` and nothing is returned: never a partial roster. Every
attempt is bounded (connect and read timeouts plus an overall deadline), and
only transient failures (connection errors, timeouts, 5xx) are retried, a
bounded number of times with a short backoff.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from kaizen_agentic.errors import KaizenError
from kaizen_agentic.fleet.roster import ACTIVE, ROSTER_VERSION, Roster, RosterError, parse_roster

if TYPE_CHECKING:
    import httpx

HUB_ENV = "KAIZEN_HUB_URL"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
RETRIES = 2
BACKOFF = 0.25  # seconds before the first retry; doubles each time
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
_HUB_KEYS = ("slug", "domain", "host_paths")


class HubError(KaizenError):
    """The State Hub could not supply a roster; the message says why and what to check."""


class _Transient(Exception):
    """A failure worth retrying; ``message`` is what the user sees if retries run out."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def repos_url(hub_url: str) -> str:
    """``{hub}/repos/`` for a hub base URL, with or without a trailing slash."""
    return hub_url.rstrip("/") + "/repos/"


def fetch_hub_roster(
    hub_url: str,
    *,
    domain: str | None = None,
    only_scheduled: bool = False,
    timeout: float = READ_TIMEOUT,
    connect_timeout: float = CONNECT_TIMEOUT,
    retries: int = RETRIES,
    backoff: float = BACKOFF,
) -> Roster:
    """The hub's repos as a :class:`Roster` (all ``active``), or :class:`HubError`.

    *timeout* bounds each read and, together with *connect_timeout*, each
    whole attempt; up to *retries* further attempts follow a transient
    failure, waiting *backoff*, then twice that, and so on.
    """
    import httpx

    url = repos_url(hub_url)
    if not url.startswith(("http://", "https://")):
        raise HubError(
            f"State Hub URL {hub_url!r} is not an http(s) URL; pass e.g. http://hub:8000"
        )
    params: dict[str, str] = {}
    if domain is not None:
        params["domain"] = domain
    if only_scheduled:
        params["kaizen_schedule_enabled"] = "true"
    limits = httpx.Timeout(timeout, connect=connect_timeout)
    attempts = max(0, retries) + 1
    with httpx.Client(timeout=limits, follow_redirects=False) as client:
        for attempt in range(attempts):
            try:
                body = _get(client, url, params, deadline=connect_timeout + timeout)
                break
            except _Transient as failure:
                if attempt + 1 >= attempts:
                    tries = f" after {attempts} attempts" if attempts > 1 else ""
                    raise HubError(f"{failure.message}{tries}; {_CHECK_HUB}") from None
                time.sleep(backoff * 2**attempt)
    return _roster_from(body, url, domain)


_CHECK_HUB = "check that the hub is running and the URL (--hub-url or KAIZEN_HUB_URL) is right"


def _get(client: httpx.Client, url: str, params: dict[str, str], *, deadline: float) -> bytes:
    """One attempt: the response body of a 2xx answer, or an error."""
    import httpx

    started = time.monotonic()
    try:
        with client.stream("GET", url, params=params, headers={"Accept": "application/json"}) as r:
            if r.status_code >= 500:
                raise _Transient(f"State Hub {url} answered HTTP {r.status_code}")
            if not 200 <= r.status_code < 300:
                raise HubError(
                    f"State Hub {url} answered HTTP {r.status_code}; "
                    "check the hub URL (--hub-url or KAIZEN_HUB_URL) and its /repos/ endpoint"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in r.iter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise HubError(
                        f"State Hub {url} sent more than {MAX_RESPONSE_BYTES} bytes; "
                        "filter the roster with --domain or check the hub"
                    )
                if time.monotonic() - started > deadline:
                    raise _Transient(f"State Hub {url} did not finish answering in {deadline:g} s")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.TimeoutException:
        raise _Transient(f"State Hub {url} did not answer in time") from None
    except httpx.TransportError as exc:
        raise _Transient(f"cannot reach State Hub {url} ({type(exc).__name__})") from None


def _roster_from(body: bytes, url: str, domain: str | None) -> Roster:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise HubError(
            f"State Hub {url} did not return valid JSON; check that the URL points at the hub API"
        ) from None
    if not isinstance(data, list):
        raise HubError(
            f"State Hub {url} returned a JSON {_json_kind(data)}, not a list of repos; "
            "check that the URL points at the hub API"
        )
    repos: list[dict[str, Any]] = []
    enabled: list[bool] = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise HubError(
                f"State Hub {url} returned an unusable repo list: repos[{index}] is a JSON "
                f"{_json_kind(item)}, not an object; fix the hub"
            )
        flag = item.get("kaizen_schedule_enabled", True)
        if not isinstance(flag, bool):
            raise HubError(
                f"State Hub {url} returned an unusable repo list: "
                f"repos[{index}].kaizen_schedule_enabled is not true or false; fix the hub"
            )
        enabled.append(flag)
        # Only the fields the roster knows: the hub may send many more.
        repos.append({**{k: item.get(k) for k in _HUB_KEYS}, "status": ACTIVE})
    try:
        # Every item is checked, even those filtered out below: a hub that
        # sends malformed data is not trusted for the rest of its answer.
        roster = parse_roster({"version": ROSTER_VERSION, "repos": repos}, source=url)
    except RosterError as exc:
        more = len(exc.problems) - 1
        extra = f" (and {more} more)" if more else ""
        raise HubError(
            f"State Hub {url} returned an unusable repo list: {exc.problems[0]}{extra}; fix the hub"
        ) from None
    kept = tuple(
        repo
        for repo, flag in zip(roster.repos, enabled, strict=True)
        if flag and (domain is None or repo.domain == domain)
    )
    return Roster(kept, source=url)


def _json_kind(value: Any) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


__all__ = [
    "CONNECT_TIMEOUT",
    "HUB_ENV",
    "READ_TIMEOUT",
    "RETRIES",
    "HubError",
    "fetch_hub_roster",
    "repos_url",
]
