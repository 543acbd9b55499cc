"""What the commands share: usage errors, flag spellings, loading a trained model, fitting
its sampler, writing results."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from absl import flags

from tfvae import safety  # no TensorFlow: `tfvae --help` stays fast


class UsageError(Exception):
    """Bad command-line usage (exit status 2)."""


class Flags:
    """A command's parsed flags, read as attributes: ``fv.batch_size`` is ``--batch-size``.

    Flags are spelled in kebab-case (``--batch-size``); the snake_case spellings of earlier
    releases (``--batch_size``) are aliases, accepted with a deprecation note.
    """

    def __init__(self, values: flags.FlagValues) -> None:
        object.__setattr__(self, "_values", values)

    def _name(self, name: str) -> str:
        dashed = name.replace("_", "-")
        return dashed if dashed in self._values else name

    def __getattr__(self, name: str) -> Any:
        return self._values[self._name(name)].value

    def __getitem__(self, name: str) -> Any:
        return self._values[self._name(name)]

    def __contains__(self, name: str) -> bool:
        return self._name(name) in self._values


def define_model_flag(fv: flags.FlagValues) -> None:
    """``--model``: what generate, evaluate and export load."""
    flags.DEFINE_string(
        "model",
        None,
        "A run folder, a .keras file, a shared model folder or a Hub id (user/repo).",
        flag_values=fv,
    )


def define_guidance_flags(fv: flags.FlagValues, scope: str) -> None:
    """``--guidance``, ``--guidance-rescale`` and ``--consistent``: how a class-conditional
    model's samples are drawn (generate, evaluate); each help text starts with ``scope``, what
    the flag applies to."""
    flags.DEFINE_float(
        "guidance",
        None,
        f"{scope}: the classifier-free guidance weight w >= 0 of the samples (models trained "
        "with condition_dropout > 0; samples look more like their class as w grows; default: "
        "the model's config.guidance).",
        flag_values=fv,
    )
    flags.DEFINE_float(
        "guidance-rescale",
        None,
        f"{scope}, with --guidance: the guidance rescale phi in [0, 1], which pulls each "
        "guided sample's spread back towards the unguided one so that strong guidance does "
        "not saturate it (default: the model's config.guidance_rescale).",
        flag_values=fv,
    )
    flags.DEFINE_bool(
        "consistent",
        False,
        f"{scope}: keep only samples the model itself classifies as their class (Bayes' rule "
        "on its own likelihoods) and redraw the others.",
        flag_values=fv,
    )


def add_old_spellings(fv: flags.FlagValues) -> dict[str, str]:
    """Define the snake_case alias of every kebab-case flag; ``{old: new}``."""
    old = {}
    for name in list(fv):
        if "-" in name and not fv[name].help.startswith("Alias for"):
            alias = name.replace("-", "_")
            flags.DEFINE_alias(alias, name, flag_values=fv)
            old[alias] = name
    return old


def note_old_spellings(command: str, argv: Sequence[str], old: dict[str, str]) -> None:
    """Print a deprecation note for each old spelling used in ``argv``."""
    for arg in argv:
        if not arg.startswith("--"):
            continue
        name = arg[2:].split("=", 1)[0]
        name = name[2:] if name.startswith("no") and name[2:] in old else name
        if name in old:
            print(
                f"tfvae {command}: note: --{name} is deprecated; use --{old[name]}", file=sys.stderr
            )


def import_tensorflow_quietly() -> None:
    """Import tfvae (TensorFlow, Keras, TFP) with the C++ start-up chatter (oneDNN, CUDA,
    CPU-feature notices, written to fd 2 before logging is configured) silenced."""
    if "tfvae.models" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow as tf

            import tfvae  # noqa: F401  (Keras and TFP print a second round)

            tf.config.list_physical_devices()  # probes CUDA, which prints an error without GPU
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def parse_fields(pairs: Sequence[str], what: str) -> dict[str, Any]:
    """``["beta=4", "reconstruction_loss=bce"]`` -> ``{"beta": 4, ...}`` (values parsed as JSON
    when they are JSON, else kept as strings)."""
    fields: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--{what} expects key=value, got {pair!r}")
        try:
            fields[key] = json.loads(raw)
        except json.JSONDecodeError:
            fields[key] = raw
    return fields


def load_trained(fv: Flags) -> tuple[Path, Any, dict[str, Any]]:
    """``(model file, model, run_info)`` for ``--model`` (a run folder or a .keras file);
    ``run_info`` is the ``run_info.json`` that ``tfvae train`` wrote beside it, or ``{}``."""
    if not fv.model:
        raise UsageError("--model is required: a run folder (tfvae train --out) or a .keras file")
    import tfvae
    from tfvae.data import NAMED_DATASETS
    from tfvae.models.base.auto_model import resolve_model_path

    path = tfvae.hub.local_folder(fv.model)  # a Hub id is downloaded (cached)
    tfvae.hub.check_safe_to_load(path)
    model_file = resolve_model_path(path)
    model = tfvae.AutoModel.load(model_file)
    info_file, shared = model_file.parent / "run_info.json", model_file.parent / "config.json"
    info: dict[str, Any] = {}
    given_data = fv.data if "data" in fv else None
    if info_file.exists():
        info = safety.read_json(
            info_file, str(info_file), follow_symlinks=safety.is_hub_blob_link(path, info_file)
        )
        if not safety.is_local_record(info):
            # not signed by this user's `tfvae train`: a downloaded folder does not choose
            # which local file is read
            if info.get("data") is not None and not given_data:
                print(
                    f"note: {info_file} is not from a run trained here; its data path "
                    f"{str(info.get('data'))!r:.80} is ignored (pass --data)"
                )
            info = {k: v for k, v in info.items() if k in ("seed", "limit") and type(v) is int}
        elif info.get("data") is not None and not given_data:
            print(f"using the run's data: {info['data']} (from {info_file})")
    elif shared.exists():  # a save_pretrained folder names its training data
        follow = safety.is_hub_blob_link(path, shared)
        data = safety.read_json(shared, str(shared), follow_symlinks=follow).get("data")
        if data in NAMED_DATASETS:  # a dataset name only, never a path from a shared folder
            info = {"data": data}
    return model_file, model, info


def fitted_sampler(
    fv: Flags,
    model: Any,
    info: dict[str, Any],
    model_dir: Path,
    limit: int | None = None,
) -> Any:
    """``--sampler`` (with ``--set`` fields) for ``model``, fitted on the training data of
    ``--data`` or of the run (at most ``limit`` images, default the run's) when it needs
    fitting. The sampler saved beside the model (``save_pretrained``) is used instead when it
    is the one asked for (or ``--sampler saved``) and neither ``--set`` nor ``--data`` is given.
    """
    import tfvae

    saved = model_dir / "sampler.json"
    if fv.sampler == "saved" or (
        saved.exists()
        and not fv.set
        and not fv.data
        and tfvae.hub.read_sampler_meta(model_dir)["sampler"]
        == tfvae.samplers.get_sampler_class(fv.sampler).__name__
    ):
        return tfvae.hub.load_sampler(model_dir, model)  # fitted when it was shared
    sampler_cls = tfvae.samplers.get_sampler_class(fv.sampler)
    sampler = sampler_cls(model, parse_fields(fv.set, "set"))
    if sampler.needs_fit:
        source = fv.data or info.get("data")
        if source is None:
            raise UsageError(f"--sampler {fv.sampler} must be fitted: pass --data")
        limit = limit if limit is not None else info.get("limit")
        data = tfvae.data.load(source, seed=info.get("seed", 0), limit=limit, **read_options(info))
        if model.conditional:  # each example encoded with its label
            if data.y_train is None:
                raise UsageError(f"{source} has no labels for the conditional model's sampler")
            sampler.fit(data.x_train, condition=data.y_train)
        else:
            sampler.fit(data.x_train)
    return sampler


def read_options(info: dict[str, Any]) -> dict[str, Any]:
    """How ``tfvae train`` read its data (``kind``, a table's ``label_column``, ``columns``,
    ``categorical``), from a run's signed ``run_info.json``; values of the wrong type are
    dropped (a record is data, never trusted to be well-formed)."""
    options: dict[str, Any] = {}
    for key in ("kind", "label_column"):
        if isinstance(info.get(key), str):
            options[key] = info[key]
    for key in ("columns", "categorical"):
        value = info.get(key)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            options[key] = value
    return options


def held_out_images(fv: Flags, info: dict[str, Any], limit: int | None) -> tuple[Any, Any, Any]:
    """``(source, images, labels or None)``: the test split (else validation) of ``--data``
    or of the run's data, at most ``limit`` images."""
    import tfvae

    source = fv.data or info.get("data")
    if source is None:
        raise UsageError("no data recorded for this model: pass --data")
    data = tfvae.data.load(source, seed=info.get("seed", 0), test_limit=limit, **read_options(info))
    test = data.x_test is not None
    x, y = (data.x_test, data.y_test) if test else (data.x_val, data.y_val)
    if x is None:
        raise UsageError(f"{source} has no test or validation split to evaluate")
    if limit is not None:
        x, y = x[:limit], None if y is None else y[:limit]
    return source, x, y


def write_result(fv: Flags, model_file: Path, result: dict[str, Any]) -> int:
    """Write an evaluation's JSON to ``--out`` (default ``<run>/eval_<metric>.json``)."""
    out = Path(fv.out) if fv.out else model_file.parent / f"eval_{fv.metric}.json"
    # inside the model's folder unless --out says otherwise; never written through a link
    safety.write_json(out, result, None if fv.out else model_file.parent)
    print(f"wrote {out}")
    return 0


def print_table(header: Sequence[str], rows: list[Sequence[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
