"""The CLIP encoder: shape, determinism and unit norm with the tiny random-init model; every way to
name weights; and the config mistakes that must fail fast naming their field."""
import json
import time

import numpy as np
import open_clip
import pytest
import torch

from seg_pipeline.errors import ConfigError
from seg_pipeline.features.encoder import EncoderSettings, load_encoder
from seg_pipeline.features.models import TINY_MODEL, register_local_configs
from seg_pipeline.features.weights import RANDOM_SEED, network_unavailable


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(5, 48, 64, 3), dtype=np.uint8)


def _tiny_clip_state() -> dict:
    """The full CLIP state dict of the tiny model as weights 'none' builds it (same seed)."""
    register_local_configs()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        model = open_clip.create_model(TINY_MODEL)
    return model.state_dict()


def test_tiny_random_encoder_shape_norm_and_determinism(frames):
    first = load_encoder(EncoderSettings(device="cpu"))
    second = load_encoder(EncoderSettings(device="cpu"))
    out = first.encode(frames)
    assert out.shape == (5, 64) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(out, second.encode(frames))
    assert first.fingerprint == second.fingerprint and len(first.fingerprint) == 64
    assert (first.model_name, first.weights_id, first.precision) == (TINY_MODEL, "random", "float32")
    # Different images give different embeddings (the encoder is not constant).
    assert np.abs(out[0] - out[1]).max() > 1e-3
    # Frames of another size go through the model's own resize/crop to the same shape.
    assert first.encode(frames[:, :32, :40]).shape == (5, 64)


def test_tiny_model_is_about_3_6_million_parameters():
    register_local_configs()
    model = open_clip.create_model(TINY_MODEL)
    assert 3.5e6 < sum(p.numel() for p in model.parameters()) < 3.8e6


def test_checkpoint_files_and_local_dir_load_the_same_weights(tmp_path, frames):
    random_init = load_encoder(EncoderSettings(device="cpu"))
    state = _tiny_clip_state()
    pt = tmp_path / "tiny.pt"
    torch.save(state, pt)
    from_pt = load_encoder(EncoderSettings(weights=str(pt), device="cpu"))

    from safetensors.torch import save_file

    folder = tmp_path / "tiny_dir"
    folder.mkdir()
    save_file({k: v.contiguous() for k, v in state.items()}, folder / "open_clip_model.safetensors")
    (folder / "open_clip_config.json").write_text(
        json.dumps({"model_cfg": open_clip.get_model_config(TINY_MODEL), "preprocess_cfg": {}}))
    from_dir = load_encoder(EncoderSettings(weights=f"local-dir:{folder}", device="cpu"))

    # Same weights, same fingerprint and same vectors, whichever way they were named.
    assert from_pt.fingerprint == random_init.fingerprint == from_dir.fingerprint
    assert from_pt.weights_id == str(pt.resolve()) and from_dir.weights_id == f"local-dir:{folder.resolve()}"
    np.testing.assert_allclose(from_pt.encode(frames), random_init.encode(frames), atol=1e-6)
    np.testing.assert_allclose(from_dir.encode(frames), random_init.encode(frames), atol=1e-6)

    # Changed weights change the fingerprint.
    state["visual.proj"] = state["visual.proj"] * 2
    torch.save(state, pt)
    assert load_encoder(EncoderSettings(weights=str(pt), device="cpu")).fingerprint != random_init.fingerprint


def test_pretrained_tag_offline_fails_fast_naming_the_field():
    assert network_unavailable() == "HF_HUB_OFFLINE is set"
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_encoder(EncoderSettings(model="ViT-B-32", weights="openai", device="cpu"))
    assert time.perf_counter() - started < 5
    assert caught.value.field == "segment_embeddings.config.weights"
    assert "not in the local cache" in str(caught.value)


@pytest.mark.parametrize(
    "settings, field",
    [
        (EncoderSettings(model="ViT-Q-99"), "segment_embeddings.config.model"),
        (EncoderSettings(device="tpu"), "run_settings.device"),
        (EncoderSettings(batch_size=0), "segment_embeddings.config.batch_size"),
        (EncoderSettings(weights="no_such_tag"), "segment_embeddings.config.weights"),
        (EncoderSettings(weights="/nowhere/model.pt"), "segment_embeddings.config.weights"),
        (EncoderSettings(weights="local-dir:/nowhere"), "segment_embeddings.config.weights"),
    ],
)
def test_bad_encoder_settings_fail_fast(settings, field):
    with pytest.raises(ConfigError) as caught:
        load_encoder(settings)
    assert caught.value.field == field


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_cuda_without_a_gpu_is_a_config_error():
    with pytest.raises(ConfigError, match="CUDA is not available") as caught:
        load_encoder(EncoderSettings(device="cuda"))
    assert caught.value.field == "run_settings.device"


def test_checkpoint_for_another_architecture_is_a_config_error(tmp_path):
    path = tmp_path / "wrong.pt"
    torch.save({"visual.proj": torch.zeros(3, 3)}, path)
    with pytest.raises(ConfigError, match="could not load"):
        load_encoder(EncoderSettings(weights=str(path), device="cpu"))
