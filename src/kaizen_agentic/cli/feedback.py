"""``kaizen-agentic feedback …``: add, list (SPEC §5)."""

from __future__ import annotations

from pathlib import Path

import click

from kaizen_agentic.cli._output import emit, json_option, table, target_option
from kaizen_agentic.cli._params import check_agent_name
from kaizen_agentic.orient.feedback import add_feedback, feedback_path, list_feedback


@click.group("feedback")
def feedback_group() -> None:
    """Ratings and comments on an agent: .kaizen/agents/AGENT/feedback.jsonl.

    Ratings feed the quality and collaboration scores of `metrics show`.

    Example:

    \b
        kaizen-agentic feedback add coach --rating 4 --from alice "Useful plan, too long"
        kaizen-agentic feedback list coach
    """


@feedback_group.command("add")
@click.argument("agent", callback=check_agent_name)
@click.argument("comment")
@click.option(
    "--rating", type=click.IntRange(1, 5), required=True, help="How well it went, 1 (poor) to 5."
)
@click.option("--from", "author", metavar="WHO", help="Who gives the feedback.")
@click.option(
    "--run",
    "record_id",
    metavar="RECORD_ID",
    help="The run rated: the rating attaches to that execution record.",
)
@target_option
def add_command(
    agent: str,
    comment: str,
    rating: int,
    author: str | None,
    record_id: str | None,
    target: Path,
) -> None:
    """Record a 1-5 rating of AGENT with a COMMENT.

    AGENT must be known to the registry (or have metrics); a rating outside
    1-5 is refused (exit 2) and nothing is written. With --run, the rating
    is about one run: it attaches to that record (one run, one record) and
    counts in the window of the run.

    Example:

    \b
        kaizen-agentic feedback add tdd-workflow --rating 5 "Caught the regression first"
        kaizen-agentic feedback add coach --rating 2 --from bob "Brief missed the open PRs"
        kaizen-agentic feedback add code-reviewer --run 3f2a9c1b... --rating 4 "Found the race"
    """
    from kaizen_agentic.orient.feedback import find_rated_run

    run = find_rated_run(target, agent, record_id) if record_id is not None else None
    add_feedback(target, agent, rating, comment, author=author, run=run)
    click.echo(f"Added feedback for {agent} (rating {rating}/5) to {feedback_path(target, agent)}")


@feedback_group.command("list")
@click.argument("agent", callback=check_agent_name)
@target_option
@json_option
def list_command(agent: str, target: Path, as_json: bool) -> None:
    """List AGENT's feedback, oldest first, with the average rating.

    Example:

    \b
        kaizen-agentic feedback list coach
        kaizen-agentic feedback list coach --json
    """
    entries = list_feedback(target, agent)
    ratings = [entry["rating"] for entry in entries]
    average = round(sum(ratings) / len(ratings), 2) if ratings else None

    def human() -> None:
        if not entries:
            click.echo(
                f"No feedback for {agent} yet; add some with: "
                f'kaizen-agentic feedback add {agent} --rating N "comment"'
            )
            return
        rows = [
            (
                str(entry.get("timestamp") or "")[:10] or None,
                entry["rating"],
                entry.get("from") or None,
                " ".join(str(entry.get("comment") or "").split()) or None,
            )
            for entry in entries
        ]
        click.echo(table(["DATE", "RATING", "FROM", "COMMENT"], rows))
        count = len(entries)
        click.echo(f"Average rating: {average:.2f} from {count} entr{'ies' if count != 1 else 'y'}")

    emit(
        {"agent": agent, "count": len(entries), "average_rating": average, "entries": entries},
        as_json=as_json,
        human=human,
    )
