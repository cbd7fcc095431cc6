"""Where the fleet's roster comes from: a roster file or a State Hub (SPEC §7).

Both sources produce a :class:`~kaizen_agentic.fleet.roster.Roster`; this
module only chooses between them, so neither source imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.fleet.hub import HUB_ENV, fetch_hub_roster
from kaizen_agentic.fleet.roster import Roster, load_roster, resolve_roster_path


def open_roster(
    roster: Path | str | None = None,
    hub_url: str | None = None,
    *,
    environ: Mapping[str, str],
    domain: str | None = None,
    only_scheduled: bool = False,
) -> Roster:
    """The roster from the first source that is set, most explicit first.

    ``--roster`` and ``--hub-url`` are exclusive; without either,
    ``$KAIZEN_HUB_URL`` beats ``$KAIZEN_ROSTER``. *domain* and
    *only_scheduled* are passed to the hub as query filters.
    """
    if roster and hub_url:
        raise InvalidInputError("pass either --roster or --hub-url, not both")
    if not roster:
        url = hub_url or environ.get(HUB_ENV, "")
        if url:
            return fetch_hub_roster(url, domain=domain, only_scheduled=only_scheduled)
    return load_roster(resolve_roster_path(roster, environ))


__all__ = ["open_roster"]
