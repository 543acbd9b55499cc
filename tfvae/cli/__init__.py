"""The ``tfvae`` command line: one module per command, shared helpers in :mod:`.common`.

Each command has its own flags (absl, kebab-case; the snake_case spellings of earlier
releases still work, with a deprecation note) and ``--help``::

    tfvae train --model vae --data fashion_mnist --epochs 5 --out runs/vae
    tfvae generate --model runs/vae --sampler gmm --n 64 --out samples.png
    tfvae models

A bad flag or a bad file (a :class:`~tfvae.errors.TfvaeError`) is one line on stderr and exit
status 2; a traceback is a bug.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from absl import flags

from tfvae.cli import (
    augment,
    benchmark,
    evaluate,
    export,
    generate,
    models,
    samplers,
    train,
)
from tfvae.cli.common import (
    Flags,
    UsageError,
    add_old_spellings,
    import_tensorflow_quietly,
    note_old_spellings,
)
from tfvae.errors import TfvaeError

USAGE = """usage: tfvae <command> [flags]

commands:
  train      train a model (progress bar, TensorBoard logs, checkpoints, resume)
  generate   generate images from a trained model with a sampler
  evaluate   evaluate a trained model (importance-sampled test NLL)
  export     export a trained model (SavedModel for TF Serving, TFLite)
  augment    does synthetic data help a classifier trained on few labelled images?
  benchmark  train every model the same way and compare them (table + figure)
  models     list the available models
  samplers   list the available samplers

`tfvae <command> --help` lists the flags of a command."""


COMMANDS: dict[str, tuple[str, Callable, Callable]] = {
    "train": ("Train a model and write model.keras, logs and pictures.", train.define, train.run),
    "generate": ("Generate images from a trained model.", generate.define, generate.run),
    "evaluate": ("Evaluate a trained model (test NLL).", evaluate.define, evaluate.run),
    "export": ("Export a trained model for TF Serving or TFLite.", export.define, export.run),
    "benchmark": (
        "Train models with the same networks, data and budget; compare speed, reconstruction, "
        "NLL, FID (and disentanglement on shapes).",
        benchmark.define,
        benchmark.run,
    ),
    "augment": (
        "Augmentation study: a classifier on few real images, with and without synthetic "
        "images from per-class generative models.",
        augment.define,
        augment.run,
    ),
    "models": ("List the available models.", models.define, models.run),
    "samplers": ("List the available samplers.", samplers.define, samplers.run),
}


def _command_help(name: str, fv: flags.FlagValues, old: dict[str, str]) -> str:
    lines = [f"usage: tfvae {name} [flags]", "", COMMANDS[name][0], ""]
    spelled = {new: alias for alias, new in old.items()}
    for flag_name in sorted(n for n in fv if n not in old):
        flag = fv[flag_name]
        default = "" if flag.default is None else f" (default: {flag.default_as_str})"
        also = f" [old spelling: --{spelled[flag_name]}]" if flag_name in spelled else ""
        lines.append(f"  --{flag.name}: {flag.help}{default}{also}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` (``sys.argv`` by default); returns the exit status."""
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if len(argv) >= 2 else 2
    name = argv[1]
    if name not in COMMANDS:
        print(f"tfvae: unknown command {name!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    _, define, command = COMMANDS[name]
    fv = flags.FlagValues()
    define(fv)
    old = add_old_spellings(fv)
    if any(a in ("-h", "--help", "--helpfull") for a in argv[2:]):
        print(_command_help(name, fv, old))
        return 0
    note_old_spellings(name, argv[2:], old)
    try:
        rest = fv([f"tfvae {name}", *argv[2:]])
        if len(rest) > 1:
            raise UsageError(f"unexpected arguments: {' '.join(rest[1:])}")
    except (flags.Error, UsageError) as err:
        print(f"tfvae {name}: error: {err}\n(see `tfvae {name} --help`)", file=sys.stderr)
        return 2
    if name in ("train", "generate", "evaluate", "export", "augment", "benchmark"):
        import_tensorflow_quietly()

    try:
        return command(Flags(fv))
    except (UsageError, TfvaeError) as err:  # bad usage or a bad file: one line, status 2
        print(f"tfvae {name}: error: {err}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError, FloatingPointError, RuntimeError) as err:
        print(f"tfvae {name}: error: {err}", file=sys.stderr)
        return 1


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
