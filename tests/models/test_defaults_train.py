"""Correct by default (issue 24): every registered model trains with its defaults on real data.

Its own file so that pytest-xdist's ``--dist loadfile`` can run it beside the contract tests.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfvae


@pytest.mark.parametrize("name", tfvae.list_models())
def test_every_model_trains_with_its_defaults(name, fashion):
    """Issue 24's check as a user runs it: ``build_model(name, (28, 28, 1), latent_dim=8)``,
    Adam(1e-3), 512 real Fashion-MNIST images, 4 epochs of batch 64: every term stays finite
    and the loss of the last epoch is below the first. The history holds the model's
    declared ``loss_terms``, and the default networks are the MLPs (PoincareVAE's decoder
    starts with a gyroplane layer, after Mathieu et al.; NVAE's and LadderVAE's are their
    bottom-up cells and output head)."""
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(name, input_shape=(28, 28, 1), latent_dim=8)
    encoders = (tfvae.nn.MLPEncoder, tfvae.nn.HierarchicalEncoder)
    decoders = (tfvae.nn.MLPDecoder, tfvae.nn.GyroplaneMLPDecoder, tfvae.nn.HierarchicalDecoder)
    assert isinstance(model.encoder, encoders) and isinstance(model.decoder, decoders)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(fashion.x_train[:512], batch_size=64, epochs=4, verbose=0).history
    assert set(history) == set(model.loss_terms), (set(history), model.loss_terms)
    assert all(np.isfinite(v).all() for v in history.values()), history
    assert history["loss"][-1] < history["loss"][0], history["loss"]


def test_vamp_with_batch_norm_conv_nets_keeps_a_bounded_kl(fashion):
    """VAMP on Pythae's width-128 conv nets (batch norm). Pseudo-inputs encoded in inference
    mode while training meet moving statistics that lag the weights: a first-epoch KL of
    31,785 nats over these 8 steps (then NaN). Encoded in training mode in a pass of their own
    (Pythae's way) they train, but pull the moving statistics away: the validation KL then
    reaches thousands (Pythae's 1e22). One joint pass with the data keeps both bounded: a
    first-epoch mean of 51 nats (the posteriors start at the prior's variance), then 8; 1-2 on
    validation."""
    keras.utils.set_random_seed(1)
    model = tfvae.build_model(
        "vamp",
        input_shape=(28, 28, 1),
        latent_dim=16,
        networks="conv",
        width=128,
        reconstruction_loss="bce",
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = tfvae.data.binarize(fashion.x_train[:512], seed=0)
    history = model.fit(x, batch_size=64, epochs=2, verbose=0, validation_data=x[:128]).history
    assert max(history["kl"]) < 100 and max(history["val_kl"]) < 100, history
