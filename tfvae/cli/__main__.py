"""``python -m tfvae.cli``: the ``tfvae`` command."""

from tfvae.cli import run

run()
