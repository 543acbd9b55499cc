"""Model cards: the ``README.md`` of a shared model folder (Hugging Face Hub metadata + text)."""

from __future__ import annotations

from typing import Any

from tfvae import __version__

#: training settings worth showing in a card (run-local ones, paths and verbosity, are not)
TRAINING_FIELDS = (
    "epochs",
    "batch_size",
    "learning_rate",
    "optimizer",
    "optimizer_kwargs",
    "scheduler",
    "scheduler_kwargs",
    "seed",
    "strategy",
)


def _front_matter(values: dict[str, Any]) -> str:
    lines = ["---"]
    for key, value in values.items():
        if value is None or value == []:
            continue
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"- {item}" for item in value]
        else:
            lines.append(f"{key}: {value}")
    return "\n".join([*lines, "---"])


def model_card(
    model: Any,
    repo_id: str | None = None,
    data: str | None = None,
    metrics: dict[str, float] | None = None,
    training: dict[str, Any] | None = None,
    has_samples: bool = False,
    samples_caption: str = "samples from the prior",
    license: str | None = None,
    description: str | None = None,
) -> str:
    """The model card (Markdown with YAML front matter) of ``model``.

    Args:
        model: a tfvae model.
        repo_id: where it will be shared (``"user/repo"``), used in the loading example.
        data: the training data's name (``"fashion_mnist"``), listed as the Hub dataset.
        metrics: ``{name: value}`` to tabulate (NLL in nats, FID, MSE...).
        training: the training config's fields (epochs, batch size, optimizer...).
        has_samples: the folder holds ``samples.png`` (shown in the card).
        samples_caption: what those samples are.
        license: a Hub license id (``"apache-2.0"``, ``"mit"``...).
        description: free text added under the title.
    """
    name = type(model).__name__
    cfg = model.config
    image = len(cfg.input_shape) == 3
    front = _front_matter(
        {
            "library_name": "tfvae",
            "license": license,
            "tags": ["tfvae", "keras", "tensorflow", "generative-autoencoder", name.lower()],
            "datasets": [data] if data else [],
            "pipeline_tag": "unconditional-image-generation" if image else None,
        }
    )
    where = repo_id or "path/to/this/folder"
    lines = [
        front,
        "",
        f"# {name}" + (f" trained on {data}" if data else "") + " (tfvae)",
        "",
        description or "",
        "",
        f"A **{name}** model (`tfvae.{name}`) made with tfvae {__version__}, the "
        "TensorFlow / Keras library of generative autoencoders.",
        "",
        "| field | value |",
        "| --- | --- |",
        f"| input shape | {list(cfg.input_shape)} |",
        f"| latent dim | {cfg.latent_dim} |",
        f"| reconstruction loss | {cfg.reconstruction_loss} |",
        f"| parameters | {model.count_params():,} |",
        f"| encoder / decoder | {type(model.encoder).__name__} / {type(model.decoder).__name__} |",
    ]
    if has_samples:
        lines += [
            "",
            "## Samples",
            "",
            f"![{samples_caption}](samples.png)",
            "",
            samples_caption + ".",
        ]
    if metrics:
        lines += ["", "## Metrics", "", "| metric | value |", "| --- | --- |"]
        lines += [f"| {key} | {float(value):.4g} |" for key, value in metrics.items()]
    shown = {
        k: v for k, v in (training or {}).items() if k in TRAINING_FIELDS and v not in (None, {})
    }
    if shown:
        lines += ["", "## Training", "", "| setting | value |", "| --- | --- |"]
        lines += [f"| {key} | {value} |" for key, value in shown.items()]
    lines += [
        "",
        "## How to load",
        "",
        "```python",
        "import tfvae",
        "",
        f'model = tfvae.AutoModel.from_pretrained("{where}")',
        "images = model.generate(16)  # [16, *input_shape]",
        "codes = model.embed(images)  # [16, latent_dim] features",
        "```",
        "",
        "Loading is safe: `from_pretrained` refuses folders holding pickles or Lambda layers "
        "and loads the Keras archive with `safe_mode=True`; nothing in the folder is executed.",
        "",
    ]
    return "\n".join(lines)
