"""docs/ARCHITECTURE.md's data-flow drawing is the Dagster asset graph, regenerated, not hand-drawn."""
from pathlib import Path

import pytest

from seg_pipeline.graph_doc import BEGIN, END, asset_graph_mermaid, replace_block

DOC = Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md"


def test_architecture_drawing_matches_the_asset_graph():
    text = DOC.read_text()
    assert replace_block(text, asset_graph_mermaid()) == text, (
        "docs/ARCHITECTURE.md is out of date: run python -m seg_pipeline.graph_doc docs/ARCHITECTURE.md")


def test_drawing_has_the_dependencies_users_rely_on():
    drawing = asset_graph_mermaid()
    assert "  segment_interest_model --> skip_prediction_report" in drawing
    assert "  segment_interest_model --> segrec_interest_scores" in drawing
    assert "  skip_prediction_report --> segrec_interest_scores" not in drawing


def test_replace_block_needs_markers():
    with pytest.raises(ValueError):
        replace_block("no markers here", "x")
    assert replace_block(f"a\n{BEGIN}\nold\n{END}\nb", "new") == f"a\n{BEGIN}\nnew\n{END}\nb"
