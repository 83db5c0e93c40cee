"""Classic estimators in NumPy with the scikit-learn API (no torch import here).

Each algorithm family is one module; names are loaded on first use.
"""

from mlcanon._lazy import lazy_module

_NAMES = {
    "Perceptron": "perceptron",
    "LogisticRegression": "logistic",
    "GaussianNB": "naive_bayes",
    "MultinomialNB": "naive_bayes",
    "BernoulliNB": "naive_bayes",
    "SVC": "svm",
    "DecisionTreeClassifier": "tree",
    "DecisionTreeRegressor": "tree",
    "export_text": "tree",
    "plot_tree": "tree",
    "RandomForestClassifier": "forest",
    "GaussianMixture": "mixture",
    "KMeans": "mixture",
    "kmeans_plusplus": "mixture",
    "LatentDirichletAllocation": "lda",
    "CategoricalHMM": "hmm",
    "GaussianHMM": "hmm",
    "LinearChainCRF": "crf",
    "BayesianNetwork": "bayesnet",
    "TabularCPD": "bayesnet",
    "ConvergenceWarning": "_base",
    "NotFittedError": "_base",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_module(__name__, _NAMES)
