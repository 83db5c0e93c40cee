"""mlcanon: the canon of machine learning, executable.

Every classic algorithm and deep-learning model a practitioner learns, as one small readable
module each, proven equal to the library practitioners use (scikit-learn, hmmlearn, CRFsuite,
seqeval, torch, torchvision, timm, Hugging Face transformers) and run on real data.

Sub-packages are imported on demand, so ``import mlcanon`` is cheap and
``import mlcanon.classic`` never pays for PyTorch.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mlcanon")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
