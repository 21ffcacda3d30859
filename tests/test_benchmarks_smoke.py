"""The benchmark harness keeps working: ``python -m benchmarks --smoke`` runs every row at a tiny
size and writes JSON with every figure. No timing is asserted: benchmarks are not tests."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE_ROWS = ["1", "2", "2p", "3", "3s", "3f", "3u", "4", "4s", "4f", "5"]
PYTHON_ROWS = ["6a", "6b"]
PROCESS_ROWS = ["7a", "7b"]  # bench_process.py: no payloads, up to 100 calls in flight
BROWSER_ROWS = ["b2", "b2p", "b3", "b3u"]  # a page in headless Chromium (benchmarks/browser.py)
PAYLOADS = [f"{size} {mode}" for size in ("1 KiB", "1 MiB", "64 MiB") for mode in ("copy", "transfer")]


def is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    path = tmp_path_factory.mktemp("bench") / "smoke.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--json", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=360,  # the blocking rows start Node, Chromium and processes of their own too
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(path.read_text()), done.stdout


def test_every_row_has_every_figure(smoke: tuple[dict[str, Any], str]) -> None:
    report, _ = smoke
    rows = report["rows"]
    assert list(rows) == NODE_ROWS + PYTHON_ROWS + PROCESS_ROWS + BROWSER_ROWS
    for key, row in rows.items():
        assert is_number(row["round_trip_us"]), key
        # Rows 1-5 and the browser's measure their round trips twice: on one core and on all cores.
        assert (key in NODE_ROWS + BROWSER_ROWS) == is_number(row.get("round_trip_all_cores_us")), key
        flights = ["1", "10", "100"] if key in PROCESS_ROWS else ["1", "10", "100", "1000"]
        assert sorted(row["in_flight_us"], key=int) == flights, key
        assert all(is_number(row["in_flight_us"][n]) for n in flights), key
        assert all(is_number(row["throughput_per_s"][n]) for n in flights), key
        if key in PROCESS_ROWS:
            assert row["payload_us"] is None
        else:
            assert sorted(row["payload_us"]) == sorted(PAYLOADS), key
            assert all(is_number(v) for v in row["payload_us"].values()), key


def test_the_machine_and_versions_are_recorded(smoke: tuple[dict[str, Any], str]) -> None:
    report, _ = smoke
    machine = report["machine"]
    assert machine["cores"] >= 1 and machine["cpu"]
    assert machine["node"].startswith("v")
    assert machine["pyodide"] and machine["pyodide_python"].startswith("3.")
    assert "Chrome/" in machine["chromium"]
    assert report["smoke"] is True and report["calls"] >= 1


def test_every_target_is_checked_and_printed(smoke: tuple[dict[str, Any], str]) -> None:
    report, stdout = smoke
    checked = {(t["target"].split()[0], t["row"]) for t in report["targets"]}
    assert checked == {
        ("no-op", "3"),
        ("no-op", "4"),
        ("no-op", "5"),
        ("no-op", "b3"),
        *(("per", row) for row in ("3", "4", "5", "6a", "6b")),
        *(("64", row) for row in ("3", "4", "5")),
    }
    for target in report["targets"]:
        assert is_number(target["value"]) and target["pass"] == (target["value"] <= target["limit"])
        verdict = "PASS" if target["pass"] else "FAIL"
        assert f"{verdict}  row {target['row']:<3} {target['target']}" in stdout
    assert "JS Comlink -> comlink_py (Pyodide)" in stdout
    assert "JS Comlink -> comlink_py (Pyodide), Chromium" in stdout


def test_the_blocking_rows_run_in_every_setting_against_their_peers(
    smoke: tuple[dict[str, Any], str],
) -> None:
    report, stdout = smoke
    blocking = report["blocking"]
    node, chromium, process = blocking["node"], blocking["chromium"], blocking["process"]
    for figures, rows in (
        (node, ("comlink_py", "synclink", "async")),
        (chromium, ("comlink_py", "synclink", "coincident", "async")),
    ):
        assert all(is_number(figures["rows"][row]["round_trip_us"]) for row in rows), figures
        cpu = [figures["rows"][row]["cpu_1s_ms"] for row in rows if row != "async"]
        assert all(type(ms) in (int, float) and ms >= 0 for ms in cpu), figures  # /proc counts 10 ms ticks
    # coincident cannot run in Node 20: the run reports the real attempt's error.
    assert "Class extends value undefined" in node["rows"]["coincident"]["error"]
    assert node["synclink_from_python"] == "PyodideFuture"
    assert all(is_number(process["rows"][row]["round_trip_us"]) for row in ("comlink_py", "rpyc"))
    assert {(t["setting"], t["target"]) for t in blocking["targets"]} == {
        ("node", "blocking <= 1.0x the faster peer"),
        ("node", "blocking <= 2x comlink_py async"),
        ("chromium", "blocking <= 1.0x the faster peer"),
        ("chromium", "blocking <= 2x comlink_py async"),
        ("process", "blocking <= 1.0x rpyc"),
    }
    assert "Blocking calls: Python in a Pyodide worker" in stdout


def test_the_stream_rows_and_their_targets_are_measured(smoke: tuple[dict[str, Any], str]) -> None:
    report, stdout = smoke
    rows = report["streams"]["rows"]
    assert list(rows) == ["s1", "s1f", "s1c", "s2", "s3", "s3p"]
    for key in ("s1", "s1f", "s1c", "s3", "s3p"):
        assert rows[key]["items"] > 0 and is_number(rows[key]["items_per_s"]), key
    assert rows["s2"]["mib"] == 16 and is_number(rows["s2"]["mib_per_s"])
    assert rows["s2"]["rss_peak_mib"] >= rows["s2"]["rss_before_mib"] > 0
    targets = report["streams"]["targets"]
    assert [t["target"] for t in targets] == ["s1 >= 0.5x floor s1f", "s1 >= 5x Comlink pattern s1c"]
    for target in targets:
        assert target["pass"] == (target["value"] >= target["limit"])
        assert f"{'PASS' if target['pass'] else 'FAIL'}  {target['target']}" in stdout


def test_the_lifecycle_rows_measure_a_pool_and_a_restart(smoke: tuple[dict[str, Any], str]) -> None:
    report, stdout = smoke
    life = report["lifecycle"]
    assert is_number(life["pool"]["one_worker_ms"]) and is_number(life["pool"]["pool_of_2_ms"])
    assert is_number(life["start"]["fresh_ms"]) and is_number(life["start"]["restart_after_crash_ms"])
    assert life["cores"] >= 1 and life["iterations"] > 0
    [target] = life["targets"]
    assert target["target"] == f"{life['calls']} calls through a pool of 2 <= 0.6x one worker"
    assert target["pass"] == (target["value"] <= target["limit"])
    assert f"{'PASS' if target['pass'] else 'FAIL'}  {target['target']}" in stdout
    assert "restart() of a crashed worker (to its answer)" in stdout


def test_the_pool_benchmark_runs() -> None:
    """``benchmarks/bench_pool.py`` at a tiny size: it starts both pools and reports their times."""
    from benchmarks import bench_pool

    report = bench_pool.run(calls=2, seconds=0.005, rounds=1)
    assert set(report["seconds"]) == {"pool of 1", "pool of 2"}
    assert all(is_number(value) for value in report["seconds"].values())
    assert is_number(report["ratio"])


def test_the_steps_benchmark_runs(tmp_path: Path) -> None:
    """``python -m benchmarks.steps`` at a tiny size in Node: every stage of both sides is timed."""
    path = tmp_path / "steps.json"
    options = ["--settings", "node", "--calls", "20", "--json", str(path)]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.steps", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    node = json.loads(path.read_text())["node"]
    for side in ("exposing", "wrapping"):
        assert set(node[side]) == set(node["descriptions"][side])  # JS Comlink's and each stage
        assert all(is_number(value) for value in node[side].values()), node[side]
