"""The rank contract of tests/models/test_ranks.py on volumes ``(4, 4, 4, 1)``, for every
registered model: two replicas like one device, save/reload identical, a SavedModel taking
``[B, D, H, W, C]``, generation in the data's shape, or the model's refusal of rank 4."""

from __future__ import annotations

import pytest

import tfvae
from tests.models.test_ranks import check_rank


@pytest.mark.parametrize("name", tfvae.list_models())
def test_volumes_train_on_two_replicas_save_and_export(name, tmp_path):
    check_rank(name, 4, tmp_path)
