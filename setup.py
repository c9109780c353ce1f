"""Build hook: the wheel carries the default model, so `pip install sdg-align` can classify at once.

The project keeps its models in ``models/`` (the model card, metrics and training recipe sit there
beside the weights). Building a wheel copies ``models/sdg-align-base`` into the package as
``sdg_align/default_model``; an editable install reads it from the checkout instead
(``sdg_align.modeling.default_model_path``). Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "sdg-align-base"


class BuildWithDefaultModel(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        if not (DEFAULT_MODEL / "config.json").is_file():
            raise SystemExit(f"the default model is missing: {DEFAULT_MODEL}")
        target = Path(self.build_lib) / "sdg_align" / "default_model"
        shutil.copytree(DEFAULT_MODEL, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithDefaultModel})
