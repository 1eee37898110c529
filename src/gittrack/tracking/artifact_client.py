"""The artifact kinds MLflow users log, as ``MlflowClient`` methods: figures, images, tables,
datasets (``log_inputs``), and listing and downloading artifacts.

:class:`ArtifactClient` is a mixin of :class:`gittrack.tracking.client.Client`; every
file is written through :mod:`gittrack.store.artifacts` (paths checked to stay inside the
run's ``artifacts/``).  matplotlib, plotly, PIL, numpy and pandas are imported only by
the method that needs them.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gittrack.errors import ArtifactNotFoundError, InvalidArtifactPathError, InvalidValueError
from gittrack.store import artifacts, layout, names, yamlio
from gittrack.store.inputs import append_inputs, read_inputs
from gittrack.store.reader import find_run_dir
from gittrack.tracking.datasets import DatasetInput, dataset_input, record_of
from gittrack.tracking.entities import FileInfo

if TYPE_CHECKING:
    import pandas as pd


class ArtifactClient:
    """The artifact half of ``MlflowClient`` (a mixin: the Client supplies ``_store``)."""

    _store: Path

    def _artifacts_of(self, run_id: str) -> Path:
        return find_run_dir(self._store, run_id) / layout.ARTIFACTS_DIR

    def _put(self, run_id: str, artifact_file: str, data: bytes) -> Path:
        return artifacts.write_bytes(find_run_dir(self._store, run_id), artifact_file, data)

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        artifacts.copy_file(find_run_dir(self._store, run_id), local_path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        artifacts.copy_tree(find_run_dir(self._store, run_id), local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        artifacts.write_bytes(find_run_dir(self._store, run_id), artifact_file, text.encode("utf-8"))

    def log_stream(self, run_id: str, stream: Any, artifact_file: str) -> None:
        """Write what a binary or text stream holds as the artifact ``artifact_file``."""
        data = stream.read()
        artifacts.write_bytes(
            find_run_dir(self._store, run_id),
            artifact_file,
            data.encode("utf-8") if isinstance(data, str) else data,
        )

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        """Write ``dictionary`` as YAML (``.yaml``/``.yml``) or JSON (anything else), byte for
        byte as MLflow does (JSON without a final newline)."""
        if artifact_file.endswith((".yaml", ".yml")):
            text = yamlio.dump_like_mlflow(dictionary)
        else:
            text = json.dumps(dictionary, indent=2, default=str)
        self.log_text(run_id, text, artifact_file)

    def log_figure(
        self, run_id: str, figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None
    ) -> None:
        """A matplotlib figure (any format savefig knows, by extension) or a plotly figure
        (``.html``, plotly.js from its CDN as MLflow does; other extensions need kaleido)."""
        module = type(figure).__module__
        suffix = Path(artifact_file).suffix.lower().lstrip(".")
        buffer = io.BytesIO()
        if module.startswith("matplotlib"):
            figure.savefig(buffer, format=suffix or "png", **(save_kwargs or {}))
        elif module.startswith("plotly"):
            if suffix in ("html", "htm"):
                html = figure.to_html(include_plotlyjs="cdn", full_html=True, **(save_kwargs or {}))
                buffer.write(html.encode("utf-8"))
            else:
                buffer.write(figure.to_image(format=suffix or "png", **(save_kwargs or {})))
        else:
            raise InvalidValueError(
                f"log_figure takes a matplotlib or plotly figure, not {type(figure).__name__}"
            )
        self._put(run_id, artifact_file, buffer.getvalue())

    def log_image(
        self,
        run_id: str,
        image: Any,
        artifact_file: str | None = None,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """A PIL image or a numpy array (HxW, HxWx1, x3 or x4; floats in [0, 1] or ints in
        [0, 255]) as an image file.  With ``key`` (MLflow's image series) the file is
        ``images/<key>/step-<step>.png``."""
        if (artifact_file is None) == (key is None):
            raise InvalidValueError("log_image needs exactly one of artifact_file and key")
        picture = _pil_image(image)
        if key is not None:
            artifact_file = f"images/{names.check_name(key, 'image key')}/step-{step or 0}.png"
        assert artifact_file is not None
        suffix = Path(artifact_file).suffix.lower().lstrip(".") or "png"
        buffer = io.BytesIO()
        picture.save(buffer, format={"jpg": "jpeg"}.get(suffix, suffix))
        self._put(run_id, artifact_file, buffer.getvalue())

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        """A DataFrame or a dict of columns as JSON (``{"columns": [...], "data": [[...]]}``);
        logging to the same file again adds the rows, as MLflow does."""
        import pandas as pd

        if not artifact_file.endswith(".json"):
            raise InvalidArtifactPathError(
                f"log_table writes JSON: name the file *.json, not {artifact_file!r}"
            )
        frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame.from_dict(data)
        existing = self._artifacts_of(run_id) / names.check_artifact_path(artifact_file)
        if existing.is_file():
            frame = pd.concat([_read_table(existing), frame], ignore_index=True)
        table = json.loads(frame.to_json(orient="split", index=False, date_format="iso"))
        self._put(run_id, artifact_file, (json.dumps(table) + "\n").encode("utf-8"))

    def load_table(
        self,
        experiment_id: str,
        artifact_file: str,
        run_ids: list[str] | None = None,
        extra_columns: list[str] | None = None,
    ) -> pd.DataFrame:
        """The tables logged as ``artifact_file`` by the experiment's runs (or ``run_ids``),
        concatenated; ``extra_columns`` adds run attributes such as ``run_id``."""
        import pandas as pd

        from gittrack.query.search import search

        frame = search(self._store, experiments=[experiment_id])
        wanted = set(run_ids) if run_ids else None
        parts = []
        for row in frame.to_dict(orient="records"):
            if wanted is not None and row["run_id"] not in wanted:
                continue
            path = self._artifacts_of(row["run_id"]) / names.check_artifact_path(artifact_file)
            if path.is_file():
                table = _read_table(path)
                for column in extra_columns or []:
                    table[column] = row.get(column)
                parts.append(table)
        if not parts:
            raise ArtifactNotFoundError(
                f"no run of experiment {experiment_id!r} has the table {artifact_file!r}"
            )
        return pd.concat(parts, ignore_index=True)

    def log_inputs(
        self, run_id: str, datasets: Sequence[Any] | None = None, models: Sequence[Any] | None = None
    ) -> None:
        """Record datasets the run used (MLflow ``DatasetInput``s, or our dataset objects)."""
        now = int(time.time() * 1000)
        records = []
        for item in datasets or []:
            if isinstance(item, DatasetInput) or hasattr(item, "dataset"):
                tags = {t.key: t.value for t in getattr(item, "tags", [])}
                context = tags.pop("mlflow.data.context", None)
                records.append(record_of(item.dataset, context, tags, now))
            else:
                records.append(record_of(item, None, {}, now))
        append_inputs(find_run_dir(self._store, run_id), records)

    def get_dataset_inputs(self, run_id: str) -> list[DatasetInput]:
        """The datasets a run used, as MLflow's ``run.inputs.dataset_inputs`` lists them."""
        return [dataset_input(r) for r in read_inputs(find_run_dir(self._store, run_id))]

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and folders directly under ``path`` in the run's artifacts."""
        root = self._artifacts_of(run_id)
        folder = root / names.check_artifact_path(path)
        if not folder.is_dir():
            return []
        found = []
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(".tmp-"):
                continue
            relative = entry.relative_to(root).as_posix()
            found.append(FileInfo(relative, entry.is_dir(), None if entry.is_dir() else entry.stat().st_size))
        return found

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        """The local path of an artifact file or folder; copied into ``dst_path`` when given
        (the store is local: without ``dst_path`` nothing is copied, as MLflow's local store)."""
        source = self._artifacts_of(run_id) / names.check_artifact_path(path)
        return copy_out(source, dst_path)


def copy_out(source: Path, dst_path: str | os.PathLike[str] | None) -> str:
    """``source`` itself, or a copy of it inside the existing folder ``dst_path``."""
    if not source.exists():
        raise ArtifactNotFoundError(f"artifact {str(source)!r} does not exist")
    if dst_path is None:
        return str(source)
    target = Path(dst_path) / source.name
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return str(target)


def _read_table(path: Path) -> pd.DataFrame:
    import pandas as pd

    data = json.loads(path.read_text(encoding="utf-8"))
    return pd.DataFrame(data["data"], columns=data["columns"])


def _pil_image(image: Any) -> Any:
    from PIL import Image

    if isinstance(image, Image.Image):
        return image
    import numpy as np

    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidValueError(f"an image array must be HxW, HxWx1, HxWx3 or HxWx4, got shape {array.shape}")
    if array.dtype.kind == "f":
        if array.size and (array.min() < 0 or array.max() > 1):
            raise InvalidValueError("a float image must hold values in [0, 1]")
        array = (array * 255).round()
    elif array.dtype.kind in "iub" and array.size and (array.min() < 0 or array.max() > 255):
        raise InvalidValueError("an integer image must hold values in [0, 255]")
    return Image.fromarray(array.astype(np.uint8))
