# tfvae: `make demo` and `make test` each set themselves up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_OUT ?= runs/demo

.PHONY: setup data demo test lint bench clean

$(VENV)/.installed: pyproject.toml setup.cfg
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

setup: $(VENV)/.installed

# Fashion-MNIST from Debian's package when apt is available (no download at run time).
data:
	@if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || \
	  ( $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q dataset-fashion-mnist >/dev/null ) || \
	  echo "could not install dataset-fashion-mnist; set TFVAE_DATA_DIR (see README)"; \
	else echo "apt-get not found: put Fashion-MNIST in TFVAE_DATA_DIR (see README)"; fi

demo: setup data
	$(VENV)/bin/tfvae train --model vae --data fashion_mnist --net conv --width 16 \
	  --latent-dim 16 --epochs 5 --set reconstruction_loss=bce --out $(DEMO_OUT)
	$(VENV)/bin/tfvae generate --model $(DEMO_OUT) --sampler gmm --n 64 --out $(DEMO_OUT)/samples_gmm.png
	@echo "pictures: $(DEMO_OUT)/*.png   TensorBoard: $(VENV)/bin/tensorboard --logdir $(DEMO_OUT)/logs"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Two pytest workers (pytest-xdist): most tests are bound by one Python thread, not by compute.
# --dist loadfile keeps each file on one worker, so module fixtures (an export of every model,
# a trained model) are built once.
test: setup data lint
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: setup data
	$(PY) tools/bench_train.py

clean:
	rm -rf $(VENV) runs .pytest_cache
