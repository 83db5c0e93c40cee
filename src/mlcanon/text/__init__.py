"""Text: vectorizers (bag of words, TF-IDF), WordPiece tokenization, vocabularies.

A package rather than the single ``text.py`` of the first design: vectorizers and WordPiece are
two ideas, one file each.
"""

from mlcanon._lazy import lazy_module

_NAMES = {
    "CountVectorizer": "vectorizers",
    "TfidfVectorizer": "vectorizers",
    "TfidfTransformer": "vectorizers",
    "ENGLISH_STOP_WORDS": "vectorizers",
    "WordPieceTokenizer": "wordpiece",
    "BasicTokenizer": "wordpiece",
    "Vocab": "vocab",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_module(__name__, _NAMES)
