"""Visual features: CLIP image embeddings of sampled segment frames (plain code, no Dagster)."""
