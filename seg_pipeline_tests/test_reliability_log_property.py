"""Property-based log ingest (issue 11, Also): random mixes of good rows, garbage fields, ragged
lines, stray non-UTF-8 bytes and duplicates, under any of the usual delimiters. Whatever the mix:
no crash, accepted + rejected = input lines, every rejected row has a reason and its line number,
and accepted rows round-trip exactly."""
from __future__ import annotations

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seg_pipeline.warehouse.interactions import build_interactions
from seg_pipeline.warehouse.logs import resolve_log
from seg_pipeline_tests.warehouse_helpers import DEMO_HEADER

DELIMITERS = {",": ",", ";": ";", "|": "|", "\t": "tab"}
GARBAGE = ["abc", "", "nan", "inf", "1e30", "-5", "--"]

good_rows = st.tuples(st.sampled_from(["u1", "u2", "7", "007"]), st.sampled_from(["v1", "v2", "100", "1e2"]),
                      st.integers(0, 10**12), st.integers(5000, 200000), st.integers(0, 200000))


@st.composite
def lines(draw):
    """(kind, fields or bytes): kind says what the pipeline must do with the line."""
    kind = draw(st.sampled_from(["good", "good", "good", "garbage", "ragged", "encoding", "duplicate"]))
    row = list(map(str, draw(good_rows)))
    if kind == "garbage":
        row[draw(st.integers(2, 4))] = draw(st.sampled_from(GARBAGE))
    elif kind == "ragged":
        row = row[:2] if draw(st.booleans()) else row[:4] if draw(st.booleans()) else row + ["x"]
    elif kind == "encoding":
        row[draw(st.integers(0, 1))] += "\udce9"  # a lone latin-1 byte 0xE9 once encoded (surrogateescape)
    return kind, row


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(lines(), min_size=1, max_size=30), st.sampled_from(sorted(DELIMITERS)))
def test_any_mix_of_lines_is_accounted_for(tmp_path, data_home, drawn, delimiter):
    written: list[tuple[str, list[str]]] = []
    for kind, row in drawn:
        if kind == "duplicate":
            earlier = [r for k, r in written if k == "good"]
            kind, row = ("duplicate", earlier[-1]) if earlier else ("good", row)
        written.append((kind, row))
    text = delimiter.join(DEMO_HEADER) + "\n" + "".join(delimiter.join(r) + "\n" for _, r in written)
    log = tmp_path / "log.csv"
    log.write_bytes(text.encode("utf-8", "surrogateescape"))

    with duckdb.connect() as con:
        spec = resolve_log(con, data_home, str(log), "demo", delimiter=DELIMITERS[delimiter])
        counts = build_interactions(con, spec, min_duration_ms=5000, max_duration_ms=200000, check_videos=False)
        accepted = con.execute("SELECT view_id, user_id, video_id, time_ms, duration_ms, playing_time_ms "
                               "FROM interactions").fetchall()
        rejected = con.execute("SELECT source_row, line, reason FROM rejected_interactions").fetchall()

    assert counts.input_rows == len(written) == counts.accepted + counts.rejected
    assert sorted([v for v, *_ in accepted] + [r for r, _, _ in rejected]) == list(range(len(written)))
    for source_row, line, reason in rejected:
        assert reason and line == source_row + 2  # header = line 1
        kind = written[source_row][0]
        expected = {"good": "duplicate", "duplicate": "duplicate", "ragged": "malformed_line",
                    "encoding": "invalid_encoding"}  # a garbage field: whichever rule it breaks first
        assert reason == expected.get(kind, reason)
    seen = set()
    for view_id, *values in accepted:
        kind, row = written[view_id]
        assert kind in ("good", "duplicate")
        assert tuple(values) == (row[0], row[1], int(row[2]), int(row[3]), int(row[4]))  # round-trips exactly
        assert tuple(values) not in seen
        seen.add(tuple(values))
