#!/usr/bin/python3
"""Fashion-MNIST from Debian's dataset-fashion-mnist: installs the package when it is missing, reads
its IDX files (gzip-compressed or not), checks magic numbers and sizes.

    /usr/bin/python3 tools/fashion_data.py          # checks all four files and prints their shapes

Any problem with a file ends the program with one line naming it (FashionDataError's message).
Images are returned scaled to [-1, 1] as float32 (N, 1, 28, 28): x = u / 127.5 - 1 for the uint8
pixel u, the inverse of the project's uint8 rule clamp(floor(127.5 x + 128), 0, 255) on every u.
"""

import gzip
import os
import shutil
import subprocess
import sys

import numpy as np

PACKAGE = "dataset-fashion-mnist"
DATA_DIR = "/usr/share/datasets/fashion-mnist"
SIZE = 28
CLASSES = 10
NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
# IDX: two zero bytes, the element type (0x08 = unsigned byte) and the number of dimensions.
IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801
SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000)}


class FashionDataError(Exception):
    """A missing or malformed data file; the message is one line that names the file."""


def ensure_installed():
    """Installs dataset-fashion-mnist with apt-get when its directory is absent (needs root)."""
    if os.path.isdir(DATA_DIR):
        return
    if shutil.which("apt-get") is None:
        raise FashionDataError(f"{DATA_DIR}: missing, and no apt-get to install {PACKAGE}")
    print(f"installing {PACKAGE} (apt-get)", file=sys.stderr)
    done = subprocess.run(["apt-get", "install", "-y", "-q", PACKAGE], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0 or not os.path.isdir(DATA_DIR):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise FashionDataError(f"{DATA_DIR}: apt-get install {PACKAGE} failed: {last}")


def find(stem: str, directory: str = DATA_DIR) -> str:
    """The file for an IDX stem: plain or .gz, whichever the package ships."""
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise FashionDataError(f"{os.path.join(directory, stem)}[.gz]: not found")


def read_idx(path: str, magic: int, shape: tuple) -> np.ndarray:
    """An IDX file of unsigned bytes with the given magic number and shape (checked exactly)."""
    try:
        with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise FashionDataError(f"{path}: cannot read: {e}") from None
    dims = len(shape)
    header = 4 + 4 * dims
    found = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if found is not None and found != magic:
        raise FashionDataError(f"{path}: magic number 0x{found:08x}, expected 0x{magic:08x}")
    if len(data) < header:
        raise FashionDataError(f"{path}: {len(data)} bytes, shorter than the {header}-byte IDX header")
    sizes = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    if sizes != tuple(shape):
        raise FashionDataError(f"{path}: dimensions {sizes}, expected {tuple(shape)}")
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise FashionDataError(f"{path}: {len(data)} bytes, expected {expected} for dimensions {sizes}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def load_uint8(split: str, directory: str = None):
    """(images uint8 [N,28,28], labels int64 [N]) of 'train' or 'test'."""
    if directory is None:
        ensure_installed()
        directory = DATA_DIR
    images_stem, labels_stem, n = SPLITS[split]
    images = read_idx(find(images_stem, directory), IMAGES_MAGIC, (n, SIZE, SIZE))
    labels_path = find(labels_stem, directory)
    labels = read_idx(labels_path, LABELS_MAGIC, (n,))
    if labels.max() >= CLASSES:
        raise FashionDataError(f"{labels_path}: label {int(labels.max())} outside 0..{CLASSES - 1}")
    return images, labels.astype(np.int64)


def load(split: str, directory: str = None):
    """(x float32 torch [N,1,28,28] in [-1,1], labels int64 torch [N])."""
    import torch

    images, labels = load_uint8(split, directory)
    x = torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0)[:, None]
    return x, torch.from_numpy(labels)


def main():
    try:
        for split in SPLITS:
            images, labels = load_uint8(split, sys.argv[1] if len(sys.argv) > 1 else None)
            print(f"{split}: images {images.shape} uint8, labels {labels.shape}, counts per class {np.bincount(labels).tolist()}")
    except FashionDataError as e:
        print(f"fashion_data: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
