"""Where every artifact lives: one data root, so a run is one folder to inspect or delete."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV_VAR = "SEG_PIPELINE_HOME"
DEFAULT_HOME = ".seg_pipeline"
# The source checkout, when running from one: relative log paths in configs/ also resolve here.
REPO_ROOT = Path(__file__).resolve().parents[1]


def resolve_home(root: str | os.PathLike | None = None) -> Path:
    """The data root: explicit value, else $SEG_PIPELINE_HOME, else ./.seg_pipeline."""
    chosen = root or os.environ.get(HOME_ENV_VAR) or DEFAULT_HOME
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class DataLayout:
    """Named locations under the data root; the only place that spells out the folder layout."""

    root: Path

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def demo_dir(self) -> Path:
        return self.root / "demo"

    @property
    def demo_videos_dir(self) -> Path:
        return self.demo_dir / "videos"

    @property
    def models_dir(self) -> Path:
        """Best checkpoints of the segment-interest model, one folder per modality and seed."""
        return self.root / "models"

    def checkpoint(self, modality: str, seed: int = 0) -> Path:
        """models/<modality>/seed<k>/best.pt: one best checkpoint per trained (modality, seed)."""
        return self.models_dir / modality / f"seed{int(seed)}" / "best.pt"

    @property
    def embedding_cache_dir(self) -> Path:
        return self.root / "embedding_cache"

    @property
    def mlflow_dir(self) -> Path:
        return self.root / "mlflow"

    @property
    def mlflow_tracking_uri(self) -> str:
        return f"sqlite:///{self.mlflow_dir / 'mlflow.db'}"

    @property
    def mlflow_artifacts_dir(self) -> Path:
        return self.mlflow_dir / "artifacts"

    @property
    def outputs_dir(self) -> Path:
        """Files meant for people (thumbnails, reports) rather than for later stages."""
        return self.root / "outputs"

    def ensure(self) -> "DataLayout":
        self.root.mkdir(parents=True, exist_ok=True)
        return self
