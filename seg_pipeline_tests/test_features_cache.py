"""The per-video embedding cache: keys that change with every part, and files that round-trip."""
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from seg_pipeline.features.cache import cache_path, encoder_key, read_cached_segments, write_cached


def test_encoder_key_changes_with_model_weights_fingerprint_and_sampling():
    base = ("ViT-B-32", "openai", "f" * 64, 1)
    keys = {encoder_key(*base), encoder_key("ViT-B-16", *base[1:]), encoder_key(base[0], "random", *base[2:]),
            encoder_key(*base[:2], "e" * 64, 1), encoder_key(*base[:3], 2)}
    assert len(keys) == 5
    assert encoder_key(*base) == encoder_key(*base)
    assert encoder_key(*base).startswith("ViT-B-32__openai__k1__")
    # A checkpoint path becomes a safe folder name.
    assert "/" not in encoder_key("ViT-B-32", "/models/my ckpt.pt", "f" * 64, 1)


def test_cache_file_round_trip(tmp_path):
    vectors = np.array([[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    path = cache_path(tmp_path, "key", "abc")
    write_cached(path, "abc", vectors, "m", "random", "fp", 1)
    table = pq.read_table(path)
    assert table.schema.field("embedding").type == pa.list_(pa.float32(), 3)
    np.testing.assert_array_equal(np.stack(table["embedding"].to_pylist()), vectors)
    assert table["segment_idx"].to_pylist() == [0, 1]
    assert read_cached_segments(path) == 2
    assert read_cached_segments(tmp_path / "key" / "missing.parquet") is None
    assert [p.name for p in path.parent.iterdir()] == ["abc.parquet"]  # no partial file left behind
    (tmp_path / "key" / "torn.parquet").write_bytes(b"PAR1 not really")
    assert read_cached_segments(tmp_path / "key" / "torn.parquet") is None
