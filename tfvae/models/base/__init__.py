"""The base layer of the models: everything in ``tfvae/models/`` that is not one model.

- :mod:`~tfvae.models.base.model`: :class:`BaseAE`, its declared traits and the shared step;
- :mod:`~tfvae.models.base.config`: :class:`BaseAEConfig`;
- :mod:`~tfvae.models.base.registry`: ``register_model``, ``build_model``, ``list_models``;
- :mod:`~tfvae.models.base.auto_model`: :class:`AutoModel` (safe loading);
- :mod:`~tfvae.models.base.sharing`: the ``save_pretrained`` / ``push_to_hub`` mixin;
- estimators: :mod:`~tfvae.models.base.importance` (NLL), :mod:`~tfvae.models.base.hamiltonian`
  (leapfrog integrators), :mod:`~tfvae.models.base.mmd`;
- shared parents: :mod:`~tfvae.models.base.discriminator`, :mod:`~tfvae.models.base.flow_vae`,
  :mod:`~tfvae.models.base.rae`.
"""

from tfvae.models.base.config import BaseAEConfig
from tfvae.models.base.model import BaseAE

__all__ = ["BaseAE", "BaseAEConfig"]
