from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tfvae import nn

PRESETS = [
    (nn.ConvEncoder28, nn.ConvDecoder28, (28, 28, 1)),
    (nn.ConvEncoder32, nn.ConvDecoder32, (32, 32, 3)),
    (nn.ConvEncoder64, nn.ConvDecoder64, (64, 64, 3)),
    (nn.ResNetEncoder28, nn.ResNetDecoder28, (28, 28, 1)),
    (nn.ResNetEncoder32, nn.ResNetDecoder32, (32, 32, 3)),
    (nn.ResNetEncoder64, nn.ResNetDecoder64, (64, 64, 3)),
]


@pytest.mark.parametrize(("enc_cls", "dec_cls", "shape"), PRESETS)
def test_presets_follow_the_contract_and_serialize(enc_cls, dec_cls, shape):
    enc = enc_cls(6, width=4)
    dec = dec_cls(6, channels=shape[-1], width=4, output_activation="linear")
    x = np.random.default_rng(0).random((2, *shape)).astype("float32")
    out = enc(x)
    assert out["embedding"].shape == (2, 6) and out["log_covariance"].shape == (2, 6)
    rec = dec(out["embedding"])["reconstruction"]
    assert rec.shape == (2, *shape)
    for net, arg in ((enc, x), (dec, out["embedding"])):
        config = keras.saving.serialize_keras_object(net)
        clone = keras.saving.deserialize_keras_object(config)
        clone(arg)
        clone.set_weights(net.get_weights())
        a, b = net(arg), clone(arg)
        key = "embedding" if "embedding" in a else "reconstruction"
        np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]))


def test_pythae_sizes_of_the_mnist_conv_encoder():
    enc = nn.ConvEncoder28(16)
    enc(np.zeros((1, 28, 28, 1), "float32"))
    # Pythae's Encoder_Conv_VAE_MNIST: convs 1->128->256->512->1024 (4x4), BN, two heads 1024->16.
    convs = 16 * (1 * 128 + 128 * 256 + 256 * 512 + 512 * 1024) + (128 + 256 + 512 + 1024)
    bn = 4 * (128 + 256 + 512 + 1024)
    heads = 2 * (1024 * 16 + 16)
    assert enc.count_params() == convs + bn + heads


@pytest.mark.parametrize("shape", [(12, 2), (28, 28, 1), (8, 8, 8, 1)])
def test_conv_presets_posteriors_start_with_unit_variance(shape):
    """The conv presets of every rank (Conv1D, 2-D conv and ResNet, Conv3D) start their
    log-variance head at zero, so no first Adam step meets exp() of a random projection of
    the last block's features; the mean head keeps Glorot's start (codes differ per example
    from the first step)."""
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((3, *shape)).astype("float32")
    for networks in ("conv", "resnet") if len(shape) == 3 else ("conv",):
        encoder, _ = tfvae.nn.benchmark_networks(networks, shape, latent_dim=4, width=4)
        out = encoder(x)
        np.testing.assert_array_equal(np.asarray(out["log_covariance"]), 0.0)
        assert float(np.std(np.asarray(out["embedding"]))) > 0.0


def test_ae_encoder_has_no_log_covariance():
    out = nn.MLPEncoder(3, hidden=(8,), variational=False)(np.zeros((2, 5), "float32"))
    assert set(out) == {"embedding"}


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="latent_dim=0"):
        nn.MLPEncoder(0)
    with pytest.raises(ValueError, match="output_activation='tanh'"):
        nn.MLPDecoder((4,), output_activation="tanh")
    with pytest.raises(ValueError, match="width=0"):
        nn.ConvEncoder28(4, width=0)
    with pytest.raises(ValueError, match="no conv benchmark network for input shape"):
        nn.benchmark_networks("conv", (30, 30, 1), 4)
    with pytest.raises(ValueError, match="unknown network kind"):
        nn.benchmark_networks("transformer", (28, 28, 1), 4)


class _NoDict(keras.Model):
    def call(self, x):
        return x


def test_models_check_user_networks_against_the_contract():
    cfg = tfvae.VAEConfig(input_shape=(4,), latent_dim=2)
    with pytest.raises(ValueError, match="must return a dict with key 'embedding'"):
        tfvae.VAE(cfg, encoder=_NoDict(), decoder=nn.MLPDecoder((4,)))
    with pytest.raises(ValueError, match=r"expected \[B, 2\]"):
        tfvae.VAE(cfg, encoder=nn.MLPEncoder(3), decoder=nn.MLPDecoder((4,)))
    with pytest.raises(ValueError, match="log_covariance"):
        tfvae.VAE(cfg, encoder=nn.MLPEncoder(2, variational=False), decoder=nn.MLPDecoder((4,)))
    with pytest.raises(ValueError, match=r"expected \(4,\)"):
        tfvae.VAE(cfg, encoder=nn.MLPEncoder(2), decoder=nn.MLPDecoder((5,)))


@pytest.mark.parametrize(("size", "pad"), [(3, 1), (4, 1), (5, 0), (7, 1)])
def test_padded_conv_equals_pad_then_conv(size, pad):
    # (3, 1): one output pixel, taken by the matmul route (Pythae's last encoder conv); (7, 1): a
    # 3x3 output through the convolution itself.
    rng = np.random.default_rng(0)
    conv = keras.layers.Conv2D(5, 4, strides=2)
    x = rng.normal(size=(3, size, size, 6)).astype("float32")
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    conv.build(padded.shape)
    conv.bias.assign(rng.normal(size=5).astype("float32"))
    expected = np.asarray(conv(padded))
    xt = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        got = nn.conv.padded_conv(conv, xt, pad)
        ref = conv(tf.pad(xt, ((0, 0), (pad, pad), (pad, pad), (0, 0))))
        w = tf.constant(rng.normal(size=ref.shape).astype("float32"))
        loss_got, loss_ref = tf.reduce_sum(got * w), tf.reduce_sum(ref * w)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-5)
    for a, b in zip(
        tape.gradient(loss_got, [xt, *conv.trainable_variables]),
        tape.gradient(loss_ref, [xt, *conv.trainable_variables]),
        strict=True,
    ):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(8, 7, 7, 16), (3, 1, 1, 4), (1, 1, 1, 5)])
def test_fused_batch_norm_equals_keras_batch_norm_in_training(shape):
    # the fused kernel against Keras's layer: outputs, gradients (input, gamma, beta) and the
    # moving statistics (Keras's biased batch variance; a single value per channel gives 0)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(2.0, 3.0, size=shape).astype("float32"))
    w = tf.constant(rng.normal(size=shape).astype("float32"))
    results = []
    for fused in (False, True):
        layer = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
        layer.build(shape)
        layer.gamma.assign(np.linspace(0.5, 2.0, shape[-1]).astype("float32"))
        layer.beta.assign(np.linspace(-1.0, 1.0, shape[-1]).astype("float32"))
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = nn.blocks.batch_norm(layer, x, True) if fused else layer(x, training=True)
            loss = tf.reduce_sum(y * w)
        grads = tape.gradient(loss, [x, layer.gamma, layer.beta])
        moving = [layer.moving_mean, layer.moving_variance]
        results.append([np.asarray(v) for v in (y, *grads, *moving)])
    for got, want in zip(results[1], results[0], strict=True):
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=5e-5)
    layer = keras.layers.BatchNormalization()
    layer.build(shape)
    graph = tf.function(lambda h: nn.blocks.batch_norm(layer, h, True)).get_concrete_function(x)
    assert "FusedBatchNormV3" in {op.type for op in graph.graph.get_operations()}


def test_batch_norm_outside_the_fused_case_is_the_layer_itself():
    # inference, a frozen layer and sequences ([B, T, C]) take Keras's path: identical numbers
    rng = np.random.default_rng(1)
    for x, training, trainable in (
        (rng.normal(size=(4, 5, 5, 3)), False, True),
        (rng.normal(size=(4, 5, 5, 3)), True, False),
        (rng.normal(size=(4, 9, 3)), True, True),
    ):
        x = tf.constant(x.astype("float32"))
        a, b = (keras.layers.BatchNormalization() for _ in range(2))
        a.trainable = b.trainable = trainable
        np.testing.assert_array_equal(
            np.asarray(nn.blocks.batch_norm(a, x, training)), np.asarray(b(x, training=training))
        )
        np.testing.assert_array_equal(np.asarray(a.moving_mean), np.asarray(b.moving_mean))


def test_networks_compute_in_bfloat16_and_hand_float32_to_the_losses():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        enc, dec = nn.benchmark_networks("conv", (28, 28, 1), 4, width=4)
        out = enc(np.zeros((2, 28, 28, 1), "float32"))
        rec = dec(out["embedding"])["reconstruction"]
        assert enc.blocks[1].compute_dtype == "bfloat16"
        assert enc.blocks[1].kernel.dtype == "float32"
        dtypes = {keras.backend.standardize_dtype(t.dtype) for t in (*out.values(), rec)}
        assert dtypes == {"float32"}
    finally:
        keras.mixed_precision.set_global_policy("float32")
