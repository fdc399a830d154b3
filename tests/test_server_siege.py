"""benchmarks/server_siege.py at a small size, by counts (not by time): a real ``crossdeck serve``
process under writers, a flood without tokens and idle event streams at once. Nothing sent is
lost or written twice, nothing answers a 5xx, the flood is turned away, the streams are let go,
the server's memory comes back down, and refusals cost the repository nothing."""

from __future__ import annotations

from pathlib import Path

from benchmarks.server_siege import Plan, failed, siege

WRITERS, MUTATES = 4, 4


def test_a_small_siege_loses_nothing_and_answers_no_5xx(tmp_path: Path) -> None:
    report = siege(Plan(seconds=None, writers=WRITERS, mutates=MUTATES, flooders=1, flood_calls=150, streams=40,
                        big_events=0, settle=3.0), tmp_path)
    assert failed(report) == []
    assert report["mutates_sent"] == report["written"] == WRITERS * MUTATES
    statuses = report["statuses"]
    assert statuses.get("mutate 200", 0) + statuses.get("mutate 202", 0) == WRITERS * MUTATES
    assert statuses.get("flood-query 429", 0) + statuses.get("flood-info 429", 0) >= 50  # over 60 a minute
    assert statuses["events 200"] == 40
    # Every write is committed, nothing else is: half the mutates were approved at once (a commit
    # each), and the requests themselves were committed in bursts (fewer commits than requests).
    approvals = WRITERS * MUTATES // 2
    assert approvals + 1 <= report["commits"] < approvals + WRITERS * MUTATES, report["commits"]
    rss = report["rss_kib"]
    assert rss["end"] <= rss["start"] + 32 * 1024, rss
    assert report["packed_kib"]["per_mutate"] <= 16, report["packed_kib"]
