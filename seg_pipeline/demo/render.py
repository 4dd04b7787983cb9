"""Frames for the demo videos: eight visual topics that differ in palette, shape, texture and motion.

Each renderer maps a block of frame times to an intensity field p in [0, 1] of shape (T, H, W),
computed with whole-array numpy operations; the topic's palette then turns p into RGB. Scenes of the
same topic vary a little (phase, speed, centre, colour jitter) but stay recognisably that topic.
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from seg_pipeline.demo.catalog import VideoPlan

CHUNK_FRAMES = 64  # frames rendered per numpy call: big enough to amortise, small enough for RAM

# name, background RGB, foreground RGB
PALETTES = [
    ("ember_stripes", (90, 10, 10), (255, 140, 0)),
    ("ocean_waves", (10, 30, 110), (90, 200, 255)),
    ("forest_checker", (15, 60, 15), (150, 230, 60)),
    ("starfield", (5, 5, 20), (255, 255, 235)),
    ("pink_rings", (60, 0, 70), (255, 110, 190)),
    ("desert_block", (235, 205, 130), (80, 45, 10)),
    ("neon_grid", (0, 45, 50), (255, 235, 0)),
    ("grey_static", (95, 95, 95), (215, 215, 215)),
]
TOPIC_NAMES = [name for name, _, _ in PALETTES]


class SceneLook:
    """Per-scene random variation, drawn once so every chunk of the scene agrees."""

    def __init__(self, rng: np.random.Generator, height: int, width: int):
        self.phase = float(rng.uniform(0, 2 * np.pi))
        self.speed = float(rng.uniform(0.7, 1.3))
        self.centre = (float(rng.uniform(0.3, 0.7) * height), float(rng.uniform(0.3, 0.7) * width))
        self.jitter = rng.integers(-15, 16, 3)
        self.seed = int(rng.integers(0, 2**31))


Field = Callable[[np.ndarray, np.ndarray, np.ndarray, SceneLook, np.ndarray], np.ndarray]


def _stripes(t, y, x, look, _frames):
    return 0.5 + 0.5 * np.sin(2 * np.pi * (y / 14.0 - 0.6 * look.speed * t) + look.phase)


def _waves(t, y, x, look, _frames):
    bend = 6.0 * np.sin(2 * np.pi * y / 50.0 + look.phase)
    return 0.5 + 0.5 * np.sin(2 * np.pi * ((x + bend) / 24.0 - 0.5 * look.speed * t))


def _checker(t, y, x, look, _frames):
    angle = 0.4 * look.speed * t + look.phase
    cy, cx = look.centre
    cos, sin = np.cos(angle) / 16.0, np.sin(angle) / 16.0  # rotation and cell size in one step
    dy, dx = y - cy, x - cx
    cells = np.floor(dx * cos - dy * sin) + np.floor(dx * sin + dy * cos)
    return cells - 2.0 * np.floor(cells * 0.5)  # parity: 0 or 1


def _stars(t, y, x, look, frames):
    height, width = y.shape[-2], x.shape[-1]
    star_rng = np.random.default_rng(look.seed)
    # Stars are 2x2 pixels so they survive H.264 compression.
    sky = (star_rng.random((-(-height // 2), -(-width // 2))) < 0.04).astype(np.float32)
    sky = np.repeat(np.repeat(sky, 2, axis=0), 2, axis=1)[:height, :width]
    twinkle_phase = star_rng.uniform(0, 2 * np.pi, (height, width)).astype(np.float32)
    shift = np.floor(4.0 * look.speed * t[:, 0, :]).astype(np.int64)  # (T, 1): slow drift left
    cols = (np.arange(width)[None, :] + shift) % width  # (T, W)
    # Taking whole columns keeps the gather one-dimensional; (H, T, W) -> (T, H, W).
    stars = np.moveaxis(np.take(sky, cols, axis=1), 1, 0)
    phase = np.moveaxis(np.take(twinkle_phase, cols, axis=1), 1, 0)
    return stars * (0.6 + 0.4 * np.sin(3.0 * t + phase))


def _rings(t, y, x, look, _frames):
    cy, cx = look.centre
    radius = np.sqrt((y - cy) ** 2 + (x - cx) ** 2)
    return 0.5 + 0.5 * np.sin(2 * np.pi * (radius / 12.0 - 0.8 * look.speed * t) + look.phase)


def _block(t, y, x, look, _frames):
    height, width = y.shape[-2], x.shape[-1]
    size = 0.35 * height

    def bounce(speed, span):  # triangle wave: position going back and forth inside the frame
        u = (speed * t + look.phase) % 2.0
        return np.where(u < 1.0, u, 2.0 - u) * span

    top = bounce(0.35 * look.speed, height - size)
    left = bounce(0.25 * look.speed, width - size)
    inside = (y >= top) & (y < top + size) & (x >= left) & (x < left + size)
    return 0.25 * (y / height) + 0.75 * inside


def _grid(t, y, x, look, _frames):
    offset = 0.5 * look.speed * t
    a = (x + y) / 20.0 - offset + look.phase
    b = (x - y) / 20.0 + offset
    return ((a - np.floor(a) < 0.18) | (b - np.floor(b) < 0.18)).astype(np.float32)


def _static(t, y, x, look, frames):
    height, width = y.shape[-2], x.shape[-1]
    block = 8
    noise_rng = np.random.default_rng([look.seed, int(frames[0])])
    coarse = noise_rng.random((len(frames), -(-height // block), -(-width // block)), dtype=np.float32)
    fine = np.repeat(np.repeat(coarse, block, axis=1), block, axis=2)[:, :height, :width]
    return fine


FIELDS: list[Field] = [_stripes, _waves, _checker, _stars, _rings, _block, _grid, _static]


def render_frames(
    topic: int, frames: np.ndarray, fps: int, height: int, width: int, look: SceneLook
) -> np.ndarray:
    """RGB uint8 frames (T, H, W, 3) of one topic at the given frame indices of a video."""
    t = (frames.astype(np.float32) / fps)[:, None, None]
    y = np.arange(height, dtype=np.float32)[None, :, None]
    x = np.arange(width, dtype=np.float32)[None, None, :]
    p = np.broadcast_to(FIELDS[topic](t, y, x, look, frames), (len(frames), height, width))
    _, background, foreground = PALETTES[topic]
    bg = np.clip(np.asarray(background) + look.jitter, 0, 255)
    fg = np.clip(np.asarray(foreground) + look.jitter, 0, 255)
    # A 256-entry colour table indexed by quantised p: one gather instead of float RGB arithmetic.
    palette = (bg + np.linspace(0.0, 1.0, 256)[:, None] * (fg - bg)).round().astype(np.uint8)
    level = (p * np.float32(255.0) + np.float32(0.5)).astype(np.uint8)  # every field stays in [0, 1]
    return np.take(palette, level, axis=0)


def video_frames(
    plan: VideoPlan, height: int, width: int, seed: int | tuple[int, ...]
) -> Iterator[np.ndarray]:
    """Stream a video's frames scene by scene, rendering CHUNK_FRAMES at a time."""
    key = tuple(seed) if isinstance(seed, tuple) else (seed,)
    for scene_idx, scene in enumerate(plan.scenes):
        look = SceneLook(np.random.default_rng([*key, plan.index, scene_idx]), height, width)
        for start in range(scene.start_frame, scene.end_frame, CHUNK_FRAMES):
            idx = np.arange(start, min(start + CHUNK_FRAMES, scene.end_frame))
            yield from render_frames(scene.topic, idx, plan.fps, height, width, look)
