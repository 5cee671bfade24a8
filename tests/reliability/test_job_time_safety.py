"""The output and move_to checks again at job time (issue 11, item 6): a job queued under
an older rules.yaml, or folders that changed, must still never write into a watch folder."""

from __future__ import annotations

from daemon.config import WatchFolder
from daemon.ledger import JobState
from tests.unit.test_scheduler import World, world  # noqa: F401 - the fixture


def test_an_output_that_would_land_in_a_watch_folder_fails_the_job(
    world: World,  # noqa: F811
) -> None:
    config = world.config()
    job = world.queue(config)
    # As if the watch list had changed since the job was queued (validation bypassed).
    watched = config.model_copy(
        update={"watch": [*config.watch, WatchFolder(path=world.out, recursive=True)]}
    )
    final = world.runner(watched).run_job(job)
    assert final is not None
    assert final.state is JobState.FAILED
    assert final.error == (
        f"the output IMG_0042-edited.mp4 would land in the watched folder {world.out}"
    )
    assert world.out_files() == []  # the scratch file is gone too


def test_move_to_inside_a_watch_folder_leaves_the_original(world: World) -> None:  # noqa: F811
    config = world.config(f"    original: {{move_to: {world.inbox}/done}}\n")
    job = world.queue(config)
    watched = config.model_copy(update={"watch": [WatchFolder(path=world.inbox, recursive=True)]})
    final = world.runner(watched).run_job(job)
    assert final is not None
    assert final.state is JobState.DONE
    assert (world.inbox / "IMG_0042.MOV").exists()
    assert not (world.inbox / "done").exists()
