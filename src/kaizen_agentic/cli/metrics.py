"""``kaizen-agentic metrics …``: record, show, list, export, prune, query, correlate (§3)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kaizen_agentic.cli._output import (
    F,
    emit,
    evidence_text,
    json_option,
    style,
    table,
    target_option,
)
from kaizen_agentic.cli._params import check_agent_name, host_or_this, roster_options
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.metrics.render import number, percent

if TYPE_CHECKING:
    from kaizen_agentic.metrics.service import MetricsView


def roots_option(func: F) -> F:
    """--root (repeatable) or --roster FILE [--host NAME]: the repos a query reads."""
    func = roster_options(func, hub=False)
    return click.option(
        "--root",
        "roots",
        multiple=True,
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="A repo to include; repeat for several (default: --target).",
    )(func)


def _query_roots(
    roots: tuple[Path, ...], roster_file: Path | None, host: str | None, target: Path
) -> list[Path]:
    return [root for root, _ in _query_repos(roots, roster_file, host, target)]


def _query_repos(
    roots: tuple[Path, ...], roster_file: Path | None, host: str | None, target: Path
) -> list[tuple[Path, str | None]]:
    """(root, the roster's domain for it — None for a --root) of every repo a query reads."""
    if roster_file is None:
        return [(root, None) for root in list(roots) or [target]]
    from kaizen_agentic.fleet import load_roster

    roster = load_roster(roster_file)
    name = roster.require_host(host_or_this(host))
    from_roster = [
        (path, repo.domain)
        for repo in roster.repos
        if repo.active and (path := repo.path_on(name)) is not None and path.is_dir()
    ]
    return [*((root, None) for root in roots), *from_roster]


@click.group("metrics")
def metrics_group() -> None:
    """Record agent executions and analyse them.

    Example:

    \b
        kaizen-agentic metrics record coach --success --time 42 --quality 0.9
        kaizen-agentic metrics show coach
    """


@metrics_group.command("record")
@click.argument("agent", callback=check_agent_name)
@click.option("--success/--failure", default=None, help="Outcome of the run.")
@click.option("--time", "time_s", type=float, help="Execution time in seconds.")
@click.option("--quality", type=float, help="Self-assessed quality, 0.0-1.0.")
@click.option("--session", "session_id", help="Session identifier.")
@click.option(
    "--key", "idempotency_key", help="Idempotency key: a second record with it is not written."
)
@click.option(
    "--json", "from_stdin", is_flag=True, help="Read the record as a JSON object on stdin."
)
@click.option(
    "--attach",
    is_flag=True,
    help="Attach the values to the run recorded with --key instead of writing a new record.",
)
@click.option(
    "--new", "new_agent", is_flag=True, help="Record an agent the registry does not know."
)
@target_option
def record_command(
    agent: str,
    success: bool | None,
    time_s: float | None,
    quality: float | None,
    session_id: str | None,
    idempotency_key: str | None,
    from_stdin: bool,
    attach: bool,
    new_agent: bool,
    target: Path,
) -> None:
    """Append one execution record for AGENT to .kaizen/metrics/AGENT/executions.jsonl.

    Flags override fields of a --json record. An invalid record is refused
    (exit 2) and nothing is written. One run, one record: when --session
    names a session whose run of AGENT was captured (capture hook, import or
    result), the values attach to that run instead; --attach --key KEY does
    the same for the run recorded with KEY. An agent the registry does not
    know and that has no metrics yet is refused with the closest names
    (--new records it anyway).

    Example:

    \b
        kaizen-agentic metrics record tdd-workflow --success --time 310 --quality 0.85
        kaizen-agentic metrics record code-reviewer --session "$SESSION_ID" --quality 0.9
        echo '{"success": false, "cost": {"usd": 0.1}}' | kaizen-agentic metrics record coach --json
    """
    from kaizen_agentic.metrics.service import record_or_attach

    record = _stdin_record() if from_stdin else {}
    flags = {
        "success": success,
        "execution_time_s": time_s,
        "quality_score": quality,
        "session_id": session_id,
    }
    record.update({k: v for k, v in flags.items() if v is not None})
    outcome = record_or_attach(
        target, agent, record, idempotency_key=idempotency_key, attach=attach, new=new_agent
    )
    full = outcome.record
    if outcome.status == "attached":
        click.echo(f"Attached to {agent} run {full['record_id']} ({full.get('source')})")
    elif outcome.status == "recorded":
        result = "success" if full["success"] else "failure"
        click.echo(f"Recorded {agent} execution {full['record_id']} ({result})")
    else:
        click.echo(
            f"Skipped: idempotency key {full['idempotency_key']!r} is already recorded for {agent}"
        )


MAX_STDIN_RECORD = 1024 * 1024


def _stdin_record() -> dict[str, Any]:
    data = sys.stdin.buffer.read(MAX_STDIN_RECORD + 1)
    if len(data) > MAX_STDIN_RECORD:
        raise InvalidInputError(f"stdin: over {MAX_STDIN_RECORD} bytes; send one record")
    try:
        record = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"stdin: not valid JSON ({exc.msg} at line {exc.lineno}); "
            'pipe one JSON object such as {"success": true}'
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"stdin: not UTF-8 (byte {exc.start}); send UTF-8 JSON") from None
    except (ValueError, RecursionError) as exc:  # NaN, 5,000-digit numbers, deep nesting
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:80]
        raise InvalidInputError(f"stdin: not a usable record ({reason}); send plain JSON") from None
    if not isinstance(record, dict):
        raise InvalidInputError('stdin: must be one JSON object such as {"success": true}')
    return record


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


@metrics_group.command("show")
@click.argument("agent", callback=check_agent_name)
@click.option("--window", type=click.Choice(["7d", "30d", "90d"]), help="Only this window.")
@click.option(
    "--last",
    "last_count",
    type=click.IntRange(0, 100),
    default=5,
    show_default=True,
    help="How many recent executions to list.",
)
@target_option
@json_option
def show_command(
    agent: str, window: str | None, last_count: int, target: Path, as_json: bool
) -> None:
    """Summary, windows with trends, recent quality and the last executions of AGENT.

    Also rewrites summary.json. Windows under 5 records say insufficient_data.

    Example:

    \b
        kaizen-agentic metrics show coach --window 30d
    """
    from kaizen_agentic.metrics.service import show_metrics

    view = show_metrics(target, agent, window=window, last=last_count)

    def human() -> None:
        _print_show(view)

    emit(view.to_dict(), as_json=as_json, human=human)


def _print_show(view: MetricsView) -> None:
    from kaizen_agentic.metrics.render import sparkline, sparkline_scale

    summary = view.summary
    totals = summary.totals
    click.echo(style(f"Agent: {summary.agent}", bold=True))
    if view.measured_against:
        from kaizen_agentic.cli.agents import measured_text

        click.echo(measured_text(view.measured_against))
    if not totals.count:
        click.echo(
            "No executions recorded yet. Record one with: kaizen-agentic metrics record "
            f"{summary.agent} --success"
        )
        return
    trend = summary.to_document()["trend"]
    click.echo(
        f"Executions: {totals.count}   Success rate: {percent(totals.success_rate)}   "
        f"Avg quality: {number(totals.avg_quality_score)}   "
        f"Avg time: {number(totals.avg_execution_time_s)}s"
    )
    click.echo(
        f"Last execution: {totals.last_execution}   Trend: success "
        f"{_arrow(trend['success_rate'])}, quality {_arrow(trend['quality_score'])}"
    )
    click.echo(_spend_line(view))
    click.echo("")
    click.echo(_windows_table(view))
    click.echo(
        "Q-SCORE: layered quality (self-reported, primary metric, feedback); SELF-Q: "
        "self-reported only\nQ-TREND/Q-P: the quality trend and its p-value; "
        "S-TREND/S-P: the success-rate trend"
    )
    if view.recent_quality:
        click.echo(
            f"\nRecent quality: {sparkline(view.recent_quality)}  "
            f"({sparkline_scale(view.recent_quality)})"
        )
    if len(view.usage_by_version) > 0:
        click.echo("")
        click.echo(_versions_table(view))
    if view.last_executions:
        click.echo("")
        click.echo(
            table(
                ["TIMESTAMP", "OK", "QUALITY", "TIME_S", "VERSION"],
                [
                    [
                        r.get("timestamp"),
                        "yes" if r.get("success") else "no",
                        number(r.get("quality_score")),
                        number(r.get("execution_time_s")),
                        r.get("agent_version"),
                    ]
                    for r in view.last_executions
                ],
            )
        )


def _arrow(word: str) -> str:
    colour = {"down": "red", "up": "green"}.get(word)
    return style(word, fg=colour) if colour else word


def _spend_line(view: MetricsView) -> str:
    from kaizen_agentic.metrics.render import tokens, usd

    usage = list(view.usage_by_source.values())
    costed = sum(u.usd_runs for u in usage)
    captured = sum(u.runs for s, u in view.usage_by_source.items() if s != "manual")
    spend = (
        f"{usd(sum(u.usd for u in usage))} over {costed} runs with a cost"
        if costed
        else "no run carries a cost"
    )
    return (
        f"Cost: {spend}   Tokens: {tokens(sum(u.input_tokens for u in usage))} in, "
        f"{tokens(sum(u.output_tokens for u in usage))} out   "
        f"Runs: {captured} captured, {view.summary.totals.count - captured} manual"
    )


def _windows_table(view: MetricsView) -> str:
    from kaizen_agentic.cli._output import verdict
    from kaizen_agentic.metrics.render import p_value, tokens

    rows = []
    for w in view.windows:
        rows.append(
            [
                w.window,
                w.n,
                percent(w.success_rate),
                number(w.quality_score),
                number(w.avg_quality_score),
                number(w.avg_cost_usd),
                tokens(w.avg_tokens),
                number(w.avg_completion_time_s),
                number(w.collaboration_score),
                verdict(w.trend.verdict if w.trend else w.status),
                p_value(w.trend.p_value if w.trend else None),
                verdict(w.success_trend.verdict if w.success_trend else w.status),
                p_value(w.success_trend.p_value if w.success_trend else None),
            ]
        )
    heads = ["WINDOW", "N", "SUCCESS", "Q-SCORE", "SELF-Q", "COST$/RUN", "TOKENS/RUN", "TIME_S"]
    return table([*heads, "COLLAB", "Q-TREND", "Q-P", "S-TREND", "S-P"], rows)


def _versions_table(view: MetricsView) -> str:
    from kaizen_agentic.metrics.render import tokens, usd

    rows = [
        [
            version,
            u.runs,
            usd(u.usd) if u.usd_runs else "-",
            usd(u.usd / u.usd_runs) if u.usd_runs else "-",
            tokens(u.tokens),
            u.first_seen,
            u.last_seen,
        ]
        for version, u in view.usage_by_version.items()
    ]
    heads = ["VERSION", "RUNS", "COST$", "COST$/RUN", "TOKENS", "FIRST_SEEN", "LAST_SEEN"]
    return table(heads, rows)


@metrics_group.command("list")
@target_option
@json_option
def list_command(target: Path, as_json: bool) -> None:
    """Agents with recorded metrics in the project, with counts and success rates.

    Example:

    \b
        kaizen-agentic metrics list --json
    """
    from kaizen_agentic.metrics.service import list_metrics

    rows = list_metrics(target)

    def human() -> None:
        if not rows:
            click.echo("No metrics recorded yet.")
            return
        click.echo(
            table(
                ["AGENT", "EXECUTIONS", "SUCCESS", "LAST"],
                [
                    [
                        r["agent"],
                        r["execution_count"],
                        percent(r["success_rate"]),
                        r["last_execution"],
                    ]
                    for r in rows
                ],
            )
        )

    emit(rows, as_json=as_json, human=human)


@metrics_group.command("export")
@click.argument("agent", callback=check_agent_name)
@click.option("--since", help="ISO-8601 time or relative span (7d, 12h).")
@click.option("--until", help="ISO-8601 time or relative span.")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@target_option
def export_command(
    agent: str, since: str | None, until: str | None, fmt: str, target: Path
) -> None:
    """Write AGENT's records to stdout as JSON lines or CSV.

    Example:

    \b
        kaizen-agentic metrics export coach --since 30d --format csv > coach.csv
    """
    from kaizen_agentic.metrics.query import iter_records, records_to_csv
    from kaizen_agentic.metrics.service import build_filter

    record_filter = build_filter(agent=agent, since=since, until=until)
    records = iter_records([target], record_filter)
    out = sys.stdout
    if fmt == "csv":
        for chunk in records_to_csv(records):
            # a lone surrogate from a stored line cannot be printed: escape it
            out.write(chunk.encode("utf-8", "backslashreplace").decode("utf-8"))
    else:
        from kaizen_agentic._jsonl import dumps_line

        for record in records:
            out.write(dumps_line(record) + "\n")


@metrics_group.command("prune")
@click.argument("agent", required=False, callback=check_agent_name)
@target_option
@json_option
def prune_command(agent: str | None, target: Path, as_json: bool) -> None:
    """Drop records older than retention_days (config; default 180) for one or all agents.

    Example:

    \b
        kaizen-agentic metrics prune
    """
    from kaizen_agentic.metrics.service import prune_metrics

    pruned, days = prune_metrics(target, agent)

    def human() -> None:
        for name, count in pruned.items():
            click.echo(f"Pruned {count} records from {name} (older than {days} days)")
        if not pruned:
            click.echo("No metrics to prune.")

    emit({"retention_days": days, "pruned": pruned}, as_json=as_json, human=human)


@metrics_group.command("query")
@click.option("--agent", callback=check_agent_name)
@click.option("--project", help="Project name (default of a record: its repo folder name).")
@click.option("--domain", help="Domain (the department) from the repos' config.")
@click.option("--since", help="ISO-8601 time or relative span (7d, 12h).")
@click.option("--until", help="ISO-8601 time or relative span.")
@roots_option
@target_option
@json_option
def query_command(
    agent: str | None,
    project: str | None,
    domain: str | None,
    since: str | None,
    until: str | None,
    roots: tuple[Path, ...],
    roster_file: Path | None,
    host: str | None,
    target: Path,
    as_json: bool,
) -> None:
    """Aggregate records per project and agent across one repo or many.

    Example:

    \b
        kaizen-agentic metrics query --root ../api --root ../web --domain payments --since 30d
        kaizen-agentic metrics query --roster roster.yaml --host build-01 --agent coach
    """
    from kaizen_agentic.metrics.query import aggregate, iter_records
    from kaizen_agentic.metrics.service import build_filter

    record_filter = build_filter(
        agent=agent, project=project, domain=domain, since=since, until=until
    )
    repos = _query_repos(roots, roster_file, host, target)
    rows = aggregate(
        iter_records(
            [root for root, _ in repos],
            record_filter,
            repo_domains={root: domain for root, domain in repos if domain is not None},
        )
    )

    def human() -> None:
        if not rows:
            click.echo("No records match.")
            return
        click.echo(
            table(
                ["PROJECT", "AGENT", "DOMAIN", "N", "SUCCESS", "QUALITY", "TIME_S", "COST$"],
                [
                    [
                        r["project"],
                        r["agent"],
                        r["domain"],
                        r["n"],
                        percent(r["success_rate"]),
                        number(r["avg_quality_score"]),
                        number(r["avg_execution_time_s"]),
                        number(r["avg_cost_usd"]),
                    ]
                    for r in rows
                ],
            )
        )

    emit(rows, as_json=as_json, human=human)


@metrics_group.command("correlate")
@click.argument("helix_uid")
@roots_option
@target_option
@json_option
def correlate_command(
    helix_uid: str,
    roots: tuple[Path, ...],
    roster_file: Path | None,
    host: str | None,
    target: Path,
    as_json: bool,
) -> None:
    """Every record of one Helix session (HELIX_SESSION_UID) across agents, oldest first.

    Example:

    \b
        kaizen-agentic metrics correlate 7f3c2a --root ../api --root ../web
    """
    from kaizen_agentic.metrics.query import iter_records
    from kaizen_agentic.metrics.service import build_filter

    records = sorted(
        iter_records(
            _query_roots(roots, roster_file, host, target),
            build_filter(helix_session_uid=helix_uid),
        ),
        key=lambda r: str(r.get("timestamp")),
    )

    def human() -> None:
        if not records:
            click.echo(f"No records carry helix_session_uid {helix_uid!r}.")
            return
        click.echo(
            table(
                ["TIMESTAMP", "PROJECT", "AGENT", "OK", "QUALITY", "TIME_S"],
                [
                    [
                        r.get("timestamp"),
                        r.get("project"),
                        r.get("agent"),
                        "yes" if r.get("success") else "no",
                        number(r.get("quality_score")),
                        number(r.get("execution_time_s")),
                    ]
                    for r in records
                ],
            )
        )

    emit(records, as_json=as_json, human=human)


@metrics_group.command("optimize")
@click.argument("agent", required=False, callback=check_agent_name)
@target_option
@json_option
def optimize_command(agent: str | None, target: Path, as_json: bool) -> None:
    """Analyse the evidence and print recommendations for one agent or all.

    Writes .kaizen/metrics/optimizer/analysis.json and appends to
    recommendations.jsonl only when the inputs changed (re-running on the
    same data adds nothing). Under 10 executions an agent gets
    insufficient_data, never a recommendation.

    Example:

    \b
        kaizen-agentic metrics optimize
        kaizen-agentic metrics optimize tdd-workflow --json
    """
    from kaizen_agentic.analysis.optimizer import run_optimizer_with_event

    run = run_optimizer_with_event(target, agent)

    def human() -> None:
        if not run.analyses:
            click.echo("No metrics recorded yet; nothing to analyse.")
        for analysis in run.analyses:
            click.echo(style(f"{analysis.agent}: {analysis.message}", bold=True))
            for rec in analysis.recommendations:
                colour = {"high": "red", "medium": "yellow"}.get(rec.severity, "cyan")
                click.echo(
                    f"  [{style(rec.severity, fg=colour)}] {rec.rule} "
                    f"({evidence_text(rec.evidence)})"
                )
                click.echo(f"    {rec.action}")
            if analysis.comparison:
                click.echo(f"  compare: {analysis.comparison['summary']}")
        state = (
            f"appended {run.appended} recommendations"
            if run.fingerprint_changed
            else "inputs unchanged; history not appended"
        )
        click.echo(f"\nfingerprint {run.report.get('fingerprint', '')[:12]}: {state}")

    emit(
        {**run.report, "fingerprint_changed": run.fingerprint_changed, "appended": run.appended},
        as_json=as_json,
        human=human,
    )


@metrics_group.command("compare")
@click.argument("agent", callback=check_agent_name)
@click.option("--baseline", help="agent_version to compare against (default: the previous one).")
@click.option("--candidate", help="agent_version to judge (default: the newest one).")
@target_option
@json_option
def compare_command(
    agent: str, baseline: str | None, candidate: str | None, target: Path, as_json: bool
) -> None:
    """Did a prompt edit help? Compare two versions of AGENT's prompt by their runs.

    Guards against time: versions that ran side by side are compared within
    each day (or week); versions that ran one after the other are compared
    on the runs nearest the switch, with a warning (confounded_by_time) when
    the baseline was already drifting. Each look at new runs spends a share
    of alpha, so checking every cycle keeps the verdict valid. Verdict:
    improved, regressed, no_significant_difference or insufficient_data
    (under 10 runs a side). docs/analytics.md has the methods.

    Example:

    \b
        kaizen-agentic metrics compare tdd-workflow
        kaizen-agentic metrics compare tdd-workflow --baseline 3f2a9c1b7d0e --json
    """
    from kaizen_agentic.analysis.evidence import load_evidence
    from kaizen_agentic.analysis.looks import compare_evidence

    result = compare_evidence(load_evidence(target, agent), baseline, candidate)

    def human() -> None:
        click.echo(result.summary)
        if result.baseline and result.candidate:
            rows = [
                [
                    side.version,
                    side.runs,
                    f"{side.success_rate * 100:.1f}%",
                    side.quality_n,
                    (side.period or {}).get("first"),
                    (side.period or {}).get("last"),
                ]
                for side in (result.baseline, result.candidate)
            ]
            click.echo("")
            click.echo(
                table(["VERSION", "RUNS", "SUCCESS", "WITH_QUALITY", "FIRST_RUN", "LAST_RUN"], rows)
            )
            click.echo(f"\nMethod: {result.method} ({result.design}); look {result.looks}")
            for warning in result.warnings:
                click.echo(f"Warning: {warning}")

    emit(result.to_dict(), as_json=as_json, human=human)


@metrics_group.command("publish")
@click.argument("agent", required=False, callback=check_agent_name)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to create the evidence package in.",
)
@click.option("--tar", is_flag=True, help="Write a .tar.gz instead of a folder.")
@click.option(
    "--verify",
    "verify",
    type=click.Path(exists=True, path_type=Path),
    help="Re-check a package's checksums instead of publishing.",
)
@target_option
@json_option
def publish_command(
    agent: str | None, out: Path | None, tar: bool, verify: Path | None, target: Path, as_json: bool
) -> None:
    """Build an evidence package (raw records, summaries, analysis, manifest with sha256).

    With --verify, re-check every file of a package against its manifest and
    exit 1 naming any file that differs.

    Example:

    \b
        kaizen-agentic metrics publish --out artifacts/ --tar
        kaizen-agentic metrics publish --verify artifacts/kaizen-evidence-api-20260101T000000Z
    """
    from kaizen_agentic.metrics.publish import publish_evidence, verify_package

    if verify is not None:
        problems = verify_package(verify)

        def human_verify() -> None:
            for problem in problems:
                click.echo(problem)
            click.echo(
                f"{verify}: "
                + (f"{len(problems)} problems" if problems else "every checksum matches")
            )

        emit(
            {"package": str(verify), "valid": not problems, "problems": problems},
            as_json=as_json,
            human=human_verify,
        )
        if problems:
            raise click.exceptions.Exit(1)
        return
    if out is None:
        raise InvalidInputError("--out DIR is required to publish (or pass --verify PACKAGE)")
    package = publish_evidence(target, out, agent, tar=tar)

    def human() -> None:
        files = package.manifest["files"]
        click.echo(
            f"Published {len(files)} files for {', '.join(package.manifest['agents'])} "
            f"to {package.path}"
        )

    emit({"path": str(package.path), "manifest": package.manifest}, as_json=as_json, human=human)


@metrics_group.command("recommendations")
@click.argument("words", nargs=-1, metavar="[AGENT] | dismiss ID")
@click.option(
    "--state",
    type=click.Choice(["open", "addressed", "verified", "not_verified", "regressed", "dismissed"]),
    help="Only entries in this state.",
)
@click.option("--why", help="With dismiss: why the recommendation does not apply.")
@target_option
@json_option
def recommendations_command(
    words: tuple[str, ...], state: str | None, why: str | None, target: Path, as_json: bool
) -> None:
    """The recommendation ledger: what became of every recommendation.

    open → addressed (a new prompt version has runs) → verified (compare says
    improved) | not_verified (no significant difference) | regressed (then a
    revert recommendation names the version to go back to); or dismissed.
    States are derived from the evidence and recorded, with their dates, in
    .kaizen/metrics/optimizer/recommendations.jsonl.

    `metrics recommendations dismiss ID --why TEXT` dismisses an open or
    addressed recommendation.

    Example:

    \b
        kaizen-agentic metrics recommendations code-reviewer --state open
        kaizen-agentic metrics recommendations dismiss 3f2a9c0d1e4b5a6f --why "flaky CI week"
    """
    from kaizen_agentic.analysis.ledger import dismiss, recommendation_ledger

    if words[:1] == ("dismiss",):
        if len(words) != 2 or not why or state:
            raise click.UsageError("use: metrics recommendations dismiss ID --why TEXT")
        entry = dismiss(target, words[1], why)
        emit(entry.to_dict(), as_json=as_json, human=lambda: click.echo(entry.line()))
        return
    if len(words) > 1 or why:
        raise click.UsageError("use: metrics recommendations [AGENT] [--state S]")
    agent = check_agent_name(click.get_current_context(), None, words[0]) if words else None
    entries = recommendation_ledger(target, agent, state=state)

    def human() -> None:
        if not entries:
            click.echo(
                "No recommendations in the ledger" + (f" in state {state}." if state else ".")
            )
            return
        click.echo(
            table(
                ["ID", "AGENT", "RULE", "SEVERITY", "STATE", "RAISED ON", "SINCE", "BY"],
                [
                    [
                        e.id,
                        e.agent,
                        e.rule,
                        e.severity,
                        e.state,
                        (e.raised_on or "")[:12],
                        (e.history[-1].at if e.history else e.raised_at)[:10],
                        (e.candidate or "")[:12],
                    ]
                    for e in entries
                ],
            )
        )

    emit({"recommendations": [e.to_dict() for e in entries]}, as_json=as_json, human=human)
