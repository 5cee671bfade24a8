"""The capture-date caption: the date a clip was recorded, from its own metadata (pure)."""

from __future__ import annotations

from dataclasses import replace

from daemon.editplan.plan import EditPlan, Title
from daemon.media.probe import MediaInfo

# "27 November 2026": day first, month in words, so no reader mistakes 03/04 for 04/03.
DATE_FORMAT = "{day} {month} {year}"


def with_capture_date(plan: EditPlan, first: MediaInfo) -> tuple[EditPlan, list[str]]:
    """Given the plan and the first clip, return the plan with the date label added as a
    small title in the asked corner for the whole video, and notes for the user (a file
    without a recorded date gets no label, and a note saying so)."""
    if plan.date_corner is None:
        return plan, []
    when = first.creation_time
    if when is None:
        return plan, [
            f"{first.path.name} has no recording date in its metadata: no date caption was drawn"
        ]
    text = DATE_FORMAT.format(day=when.day, month=when.strftime("%B"), year=when.year)
    label = Title(text=text, end=None, size="small", corner=plan.date_corner)
    return replace(plan, titles=(*plan.titles, label)), [f"date caption: {text}"]
