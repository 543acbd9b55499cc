"""Sharing models: save/load a safe folder and push to / pull from the Hugging Face Hub.

model.push_to_hub("user/my-vae", data="fashion_mnist")
model = tfvae.AutoModel.from_pretrained("user/my-vae")  # or a local folder
"""

from tfvae.errors import UnsafeModelError
from tfvae.hub.card import model_card
from tfvae.hub.folder import (
    load_pretrained,
    load_sampler,
    read_sampler_meta,
    save_pretrained,
    save_sampler,
)
from tfvae.hub.remote import download, from_pretrained, local_folder, push_to_hub
from tfvae.safety import check_safe_to_load

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
