"""Sharing models: save/load a safe folder and push to / pull from the Hugging Face Hub.

model.push_to_hub("user/my-vae", data="fashion_mnist")
model = tfvae.AutoModel.from_pretrained("user/my-vae")  # or a local folder

The hub room gathers, above the models and the samplers, what the rooms below define: the
folder writer and the Hub transport (:mod:`tfvae.models.base.sharing`, below the models so
that every model has ``save_pretrained``/``push_to_hub`` methods), safe model loading
(:mod:`tfvae.models.base.auto_model`), sampler loading (:mod:`tfvae.samplers.io`) and the
checks (:mod:`tfvae.safety`).
"""

from tfvae.errors import UnsafeModelError
from tfvae.models.base.auto_model import from_pretrained, load_pretrained
from tfvae.models.base.card import model_card
from tfvae.models.base.sharing import (
    download,
    local_folder,
    push_to_hub,
    save_pretrained,
    save_sampler,
)
from tfvae.safety import check_safe_to_load
from tfvae.samplers.io import load_sampler, read_sampler_meta

__all__ = [
    "UnsafeModelError",
    "check_safe_to_load",
    "download",
    "from_pretrained",
    "load_pretrained",
    "load_sampler",
    "local_folder",
    "model_card",
    "push_to_hub",
    "read_sampler_meta",
    "save_pretrained",
    "save_sampler",
]
