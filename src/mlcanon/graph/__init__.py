"""Graph algorithms that need no torch: random walks for DeepWalk and node2vec.

>>> from mlcanon.graph import random_walks
"""

from mlcanon.graph.walks import (
    alias_draw,
    alias_setup,
    node2vec_walks,
    random_walks,
    to_csr,
)

__all__ = ["alias_draw", "alias_setup", "node2vec_walks", "random_walks", "to_csr"]
