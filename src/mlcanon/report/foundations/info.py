"""Information theory beside scipy and scikit-learn on TREC questions: the entropy of the label
distribution, the mutual information between the label and the question's first word, KL and
cross-entropy between the train and test label distributions, and the binary entropy curve."""

from __future__ import annotations

import math

from mlcanon.report.core import Row, check, figure_from_matplotlib


def _trec():
    import numpy as np

    from mlcanon import data

    out = {}
    for split in ("train", "test"):
        d = data.load("trec", split)
        coarse = np.array([label.split(":")[0] for label in d.labels])
        first = np.array([text.split()[0].lower() for text in d.texts])
        out[split] = (coarse, np.array(d.labels), first)
    return out


def _distribution(labels, classes):
    import numpy as np

    counts = np.array([(labels == c).sum() for c in classes], dtype=float)
    return counts / counts.sum()


@check("熵与互信息 entropy and mutual information")
def entropy_and_mi(ctx):
    import numpy as np
    import scipy.stats
    from sklearn.metrics import mutual_info_score as sk_mi

    from mlcanon import info

    trec = _trec()
    coarse, fine, first = trec["train"]
    classes = np.unique(coarse)
    p_train = _distribution(coarse, classes)
    p_test = _distribution(trec["test"][0], classes)
    rows = []
    for base, unit in ((2, "bits"), (math.e, "nats"), (10, "bans")):
        rows.append(Row(f"H(coarse label), TREC train, {unit}", info.entropy(p_train, base),
                        scipy.stats.entropy(p_train, base=base), "scipy.stats.entropy", tolerance=1e-12))
    rows.append(Row("KL(train labels || test labels), bits", info.kl_divergence(p_train, p_test),
                    scipy.stats.entropy(p_train, p_test, base=2), "scipy.stats.entropy", tolerance=1e-12))
    rows.append(Row("cross-entropy(train, test) = H + KL, bits", info.cross_entropy(p_train, p_test),
                    scipy.stats.entropy(p_train, base=2) + scipy.stats.entropy(p_train, p_test, base=2),
                    "scipy.stats.entropy", tolerance=1e-12))
    for name, a, b in (("I(coarse label; first word)", coarse, first), ("I(fine label; first word)", fine, first),
                       ("I(coarse; fine) = H(coarse)", coarse, fine)):
        rows.append(Row(f"{name}, TREC train, nats", info.mutual_info_score(a, b), sk_mi(a, b),
                        "sklearn.metrics.mutual_info_score", tolerance=1e-10))
    # The plug-in table gives the same figure, and its decomposition holds.
    _, ia = np.unique(coarse, return_inverse=True)
    _, ib = np.unique(first, return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia, ib), 1.0)
    pxy = table / table.sum()
    rows.append(Row("I(coarse; first word) from the joint table, nats", info.mutual_information(pxy, base=None),
                    sk_mi(coarse, first), "sklearn.metrics.mutual_info_score", tolerance=1e-10))
    h_y = scipy.stats.entropy(pxy.sum(axis=0))
    rows.append(Row("H(first word) - H(first word | coarse) = I, nats",
                    h_y - info.conditional_entropy(pxy, base=None), sk_mi(coarse, first),
                    "sklearn.metrics.mutual_info_score", tolerance=1e-10))
    return rows + [_binary_entropy_figure()]


def _binary_entropy_figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from mlcanon import info

    p = np.linspace(0, 1, 201)
    h = [info.entropy([q, 1 - q]) for q in p]
    # A binary symmetric channel with a uniform input: I(X;Y) = 1 - H(eps)
    mi = [info.mutual_information(np.array([[1 - q, q], [q, 1 - q]]) / 2) for q in p]
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    ax.plot(p, h, label="H(p) = -p log2 p - (1-p) log2 (1-p)")
    ax.plot(p, mi, "--", label="I(X;Y) of a binary symmetric channel, crossover p")
    ax.set_xlabel("p")
    ax.set_ylabel("bits")
    # below the axes: inside, any corner or the centre covers one of the two curves
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=1, frameon=False)
    ax.grid(alpha=0.3)
    return figure_from_matplotlib(
        fig,
        "二元熵 Binary entropy and channel capacity",
        "mlcanon.info.entropy and mutual_information: H(p) peaks at one bit for a fair coin; "
        "I(X;Y) = H(Y) - H(Y|X) = 1 - H(p) for a uniform input.",
    )
