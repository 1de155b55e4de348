"""Start-up does no work for managers the run has not loaded: a new session probes no manager's availability
(each probe may import an SDK or reach an engine), and a resumed one probes only the managers it had loaded.
Driven by the scripted provider (the LLM is what cannot run here) and a catalogue folder with two managers
whose availability a file decides."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import turn

from reign import sessions
from reign.approval import NonInteractive
from reign.config import Settings
from reign.wiring import Options, build_agent

PROBED: list[str] = []


def probe_near() -> str | None:
    PROBED.append("near")
    return None


def probe_far() -> str | None:
    """Unavailable while the file named by REIGN_TEST_FAR_GONE exists."""
    PROBED.append("far")
    gone = os.environ.get("REIGN_TEST_FAR_GONE", "")
    return "far is gone" if gone and Path(gone).exists() else None


@pytest.fixture
def two_managers(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("near", "far"):
        (tools / f"{name}.yaml").write_text(
            f"manager: {name}\navailable: test_startup:probe_{name}\ntools:\n"
            f"  - name: {name}_echo\n    description: Echo.\n    effect: read\n"
            f"    command: [echo, {name}]\n")
    monkeypatch.setenv("REIGN_TEST_FAR_GONE", str(tmp_path / "far-gone"))
    PROBED.clear()
    return settings.model_copy(update={"tools_dirs": [tools]})


def test_a_new_session_probes_no_manager(scripted, two_managers: Settings) -> None:
    plan = sessions.start(two_managers, resume=None, read_only=None, policies=[])
    agent = build_agent(plan.settings, scripted([]), Options(plan=plan, approver=NonInteractive()))
    specs = agent.tools() if callable(agent.tools) else agent.tools
    assert "use_tools" in {s.name for s in specs} and not {"near_echo", "far_echo"} & {s.name for s in specs}
    assert PROBED == []
    catalogue = agent.executor.catalogue  # of the shipped managers, only bash (sent from the first request)
    sent = {t.available for t in catalogue.tools.values() if t.loading != "manager"}
    assert set(catalogue._availability) <= sent


def test_a_resumed_session_probes_only_its_loaded_managers(scripted, two_managers: Settings,
                                                            tmp_path: Path) -> None:
    plan = sessions.start(two_managers, resume=None, read_only=None, policies=[])
    agent = build_agent(plan.settings, scripted([turn("", ("use_tools", {"managers": ["far"]})), turn("ok")]),
                        Options(plan=plan, approver=NonInteractive()))
    assert plan.run(agent, "load far").stop_reason == "completed"
    assert PROBED == ["far"]

    PROBED.clear()
    again = sessions.start(two_managers, resume=plan.id, read_only=None, policies=[])
    resumed = build_agent(again.settings, scripted([]), Options(plan=again, approver=NonInteractive()))
    assert resumed.executor.toolset.loaded == {"far"} and PROBED == ["far"]

    (tmp_path / "far-gone").touch()  # loaded before, unavailable now: not loaded again
    PROBED.clear()
    again = sessions.start(two_managers, resume=plan.id, read_only=None, policies=[])
    resumed = build_agent(again.settings, scripted([]), Options(plan=again, approver=NonInteractive()))
    assert resumed.executor.toolset.loaded == set() and PROBED == ["far"]


def test_a_catalogue_file_that_is_not_yaml_fails_in_one_line(tmp_path: Path) -> None:
    """PyYAML is imported only on a cache miss; its errors still name the file."""
    from reign.catalogue import Catalogue
    from reign.errors import ReignError

    (tmp_path / "bad.yaml").write_text("tools: [unclosed\n")
    with pytest.raises(ReignError, match=r"bad\.yaml: cannot read tool catalogue: while parsing"):
        Catalogue.load([tmp_path])


def test_objects_are_frozen_out_of_the_collector_only_in_reigns_own_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """gc.freeze pins every object alive at the call: right for the console script's process, wrong for a
    host (this test run) whose leftovers it would keep forever."""
    import gc

    from reign import cli
    from reign.cli import rest_collector, start_collector

    before = gc.get_freeze_count()
    rest_collector()
    assert gc.get_freeze_count() == before and gc.isenabled()
    monkeypatch.setattr(cli, "OWN_PROCESS", True)
    try:
        rest_collector()
        assert gc.get_freeze_count() > before and not gc.isenabled()  # resting while the agent is built
        start_collector()
        assert gc.isenabled()  # and back for the run
    finally:
        gc.enable()
        gc.unfreeze()
