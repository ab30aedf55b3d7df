"""Where ``lumi train`` writes: a new file by default, the shipped model only when named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from classifiers.risk_themes import MODEL_PATH
from classifiers.train import DEFAULT_OUTPUT, output_path


def test_the_default_output_is_a_new_file_in_the_working_directory(tmp_path: Path) -> None:
    target = output_path(None, tmp_path)
    assert target == tmp_path / DEFAULT_OUTPUT
    assert target.resolve() != MODEL_PATH.resolve()


def test_an_existing_default_output_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / DEFAULT_OUTPUT).write_text("{}", encoding="utf-8")
    with pytest.raises(FileExistsError, match="--output"):
        output_path(None, tmp_path)


@pytest.mark.parametrize("name", ["mine.json", str(DEFAULT_OUTPUT)])
def test_a_named_output_is_used_even_when_it_exists(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("{}", encoding="utf-8")
    assert output_path(tmp_path / name, tmp_path) == tmp_path / name


def test_the_shipped_model_is_written_only_when_named(tmp_path: Path) -> None:
    assert output_path(MODEL_PATH, tmp_path) == MODEL_PATH
    assert output_path(None, MODEL_PATH.parent) != MODEL_PATH


def test_lumi_train_refuses_an_existing_default_output_before_training(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()  # a shared folder that passes the first check
    existing = tmp_path / DEFAULT_OUTPUT
    existing.write_text("keep me", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUMI_")}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "lumi"), "train", "--shared", str(tmp_path)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 2, proc.stderr
    assert "exists already" in proc.stderr and "Traceback" not in proc.stderr
    assert existing.read_text(encoding="utf-8") == "keep me"
