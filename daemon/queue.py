"""Recording a job: the rule as it was when the file came (a snapshot, so a later edit
of rules.yaml never changes a queued job) and the paths as every worker names them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from daemon.config import Config, Rule
from daemon.ledger import JobRecord, LedgerBackend
from daemon.pathmap import PathMap


def queue_job(
    ledger: LedgerBackend, config: Config, rule: Rule, sources: Sequence[Path], fp: str
) -> tuple[JobRecord | None, JobRecord | None]:
    """Record a job for `sources` under `rule`. Return (new job, None), or (None, the
    earlier job) when this content was already queued for this rule.

    Paths go into the ledger as the other workers name them (`path_map:`)."""
    engine = config.engine_for(rule)
    paths = PathMap.of(config.path_map)
    snapshot = rule.model_copy(
        update={
            "engine": engine,
            "fallback": config.fallback_for(rule),
            "output": paths.to_shared(rule.output),
        }
    )
    if snapshot.original is not None:
        moved = paths.to_shared(snapshot.original.move_to)
        snapshot = snapshot.model_copy(
            update={"original": snapshot.original.model_copy(update={"move_to": moved})}
        )
    shared = [paths.to_shared(s) for s in sources]
    record = ledger.add_job(shared, fp, rule.name, snapshot.model_dump_json(), engine)
    if record is not None:
        return record, None
    return None, ledger.find(fp, rule.name)
