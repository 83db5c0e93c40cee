"""The official scorer of SemEval-2010 Task 8 (relation classification), re-implemented.

Hendrickx et al., "SemEval-2010 Task 8: Multi-Way Classification of Semantic Relations between
Pairs of Nominals" (2010). Reference whose numbers and text output these match: the organisers'
Perl script ``semeval2010_task8_scorer-v1.2.pl`` (Preslav Nakov, March 22, 2010), read and
re-written, not copied; it is not in this repository.

The scorer compares a proposed answer (``id -> label``) with a key, both over the 19 labels:
``Other`` and 9 relations x 2 directions, e.g. ``Cause-Effect(e1,e2)``. It scores three times:

(i)   (2*9+1)-way: the 19 directed labels as they are;
(ii)  (9+1)-way ignoring direction: ``(e1,e2)``/``(e2,e1)`` removed from both sides;
(iii) (9+1)-way with direction taken into account (the official one): an example whose relation
      is right but whose direction is wrong is neither a hit nor a confusion; it goes to the
      ``xDIRx`` column of its key row, and counts as a wrong proposal of that relation.

For each evaluation, over the ids of the key::

    coverage  = 100 * n_proposed / n_key
    accuracy  = 100 * n_correct / n_proposed          (the confusion matrix as shown)
              = 100 * n_correct / n_key               (skipped ids counted as wrong)
              = 100 * (n_correct + skipped_Other) / n_key   (skipped ids counted as Other)

and for each relation r of the key (rows), with c_r the hits, p_r the proposals of r (its column
sum), w_r the wrong-direction examples of r (only in (iii), else 0) and a_r its key count::

    P_r  = 0 if p_r == 0 else 100 * c_r / (p_r + w_r)
    R_r  = 100 * c_r / a_r
    F1_r = 0 if P_r + R_r == 0 else 2 * P_r * R_r / (P_r + R_r)

    micro (excluding Other): P = 100 * sum c / sum (p + w),  R = 100 * sum c / sum a, F1 as above
    macro (excluding Other): the plain means of P_r, R_r and F1_r over the key's non-Other labels

The official score is the macro F1 of (iii). All figures are percentages, as printed by the
script; the sums run over the key's labels in the script's order (byte-wise sorted, with ``Other``
spelled ``_Other`` and so last) and every division is written in the script's order, so the
floats are the script's floats, bit for bit, and :func:`format_semeval_report` prints its text.

The script's rules that a reader may not expect, kept on purpose:

- an id may be missing from the proposal ("skipped"): it lowers coverage and recall, and
  counts as ``Other`` in the micro and macro figures; an id of the proposal that the key lacks
  stops the script ("contains a bad ID"), here a ``ValueError``;
- a label outside the 19 (``Foo``, ``Cause-Effect`` without direction, ``other``) stops the
  script on reading ("Bad file format"), here a ``ValueError``; a label among the 19 that the
  key lacks is accepted: the script warns (:attr:`SemEvalResult.unknown_labels`), shows it as
  an extra column marked ``*``, and it only ever counts as wrong (no row, no P/R/F1 of its own);
- a key with no relation but ``Other``, an empty key and an empty proposal stop the script
  (division by zero); here they are a ``ValueError``;
- ids are compared as strings, as the script reads them: ``7`` and ``"7"`` are one id, ``"07"``
  is another.

Answer files (``<id><TAB><label>`` lines, what the script reads) are written by
:func:`write_answer_file` and read by :func:`read_answer_file`, which accepts exactly the lines
the script accepts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlcanon.data.readers import SEMEVAL2010_TASK8_LABELS, FormatError
from mlcanon.validation import describe

__all__ = [
    "SEMEVAL2010_TASK8_LABELS",
    "RelationScore",
    "SemEvalEvaluation",
    "SemEvalResult",
    "semeval2010_task8_score",
    "format_semeval_report",
    "write_answer_file",
    "read_answer_file",
]

_LABEL_SET = frozenset(SEMEVAL2010_TASK8_LABELS)
_OTHER = "Other"
_ID = re.compile(r"[0-9]+")
_TITLES = {
    "directed": "<<< (2*9+1)-WAY EVALUATION (USING DIRECTIONALITY)>>>:",
    "undirected": "<<< (9+1)-WAY EVALUATION IGNORING DIRECTIONALITY >>>:",
    "official": "<<< (9+1)-WAY EVALUATION TAKING DIRECTIONALITY INTO ACCOUNT -- OFFICIAL >>>:",
}


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RelationScore:
    """One line of "Results for the individual relations" (percentages).

    ``proposed`` is the column sum of the label (wrong-direction examples excluded);
    ``wrong_direction`` is the label's ``xDIRx`` count (0 outside the official evaluation).
    """

    label: str
    correct: int
    proposed: int
    wrong_direction: int
    actual: int
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class SemEvalEvaluation:
    """One of the scorer's three evaluations.

    Attributes
    ----------
    name : {"directed", "undirected", "official"}
        (i), (ii) or (iii) of the module docstring.
    rows : tuple of str
        The key's labels, in the script's order (``Other`` last).
    columns : tuple of str
        ``rows``, then the proposed labels the key lacks (sorted).
    confusion : ndarray of shape (n_rows, n_columns)
        int64; ``confusion[i, j]``: ids of key label ``rows[i]`` proposed as ``columns[j]``
        (in the official evaluation without the wrong-direction ones).
    column_sums : ndarray of shape (n_columns,)
        The ``-SUM-`` line: proposals of each column label.
    wrong_direction, skipped, actual : ndarray of shape (n_rows,)
        Per key label: right relation with wrong direction (official only, else zeros), ids
        with no proposal, ids in the key.
    n_proposed, n_key, n_correct, n_correct_skipped_other : int
        Proposed ids, key ids, the diagonal sum, and the diagonal sum plus the skipped ``Other`` ids.
    coverage, accuracy, accuracy_skipped_wrong, accuracy_skipped_other : float
        The four lines under the matrix (percentages).
    relations : tuple of RelationScore
        One per row, ``Other`` included (it is left out of the averages only).
    micro_correct, micro_proposed, micro_actual : int
    micro_precision, micro_recall, micro_f1, macro_precision, macro_recall, macro_f1 : float
        Excluding ``Other`` (percentages).
    """

    name: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    confusion: np.ndarray
    column_sums: np.ndarray
    wrong_direction: np.ndarray
    skipped: np.ndarray
    actual: np.ndarray
    n_proposed: int
    n_key: int
    n_correct: int
    n_correct_skipped_other: int
    coverage: float
    accuracy: float
    accuracy_skipped_wrong: float
    accuracy_skipped_other: float
    relations: tuple[RelationScore, ...]
    micro_correct: int
    micro_proposed: int
    micro_actual: int
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_precision: float
    macro_recall: float
    macro_f1: float

    @property
    def uses_wrong_direction(self) -> bool:
        """Whether the ``xDIRx`` bookkeeping applies (the official evaluation)."""
        return self.name == "official"


@dataclass(frozen=True)
class SemEvalResult:
    """The three evaluations of the official scorer and its official score.

    Attributes
    ----------
    directed, undirected, official : SemEvalEvaluation
        (i) (2*9+1)-way, (ii) (9+1)-way ignoring direction, (iii) (9+1)-way with direction.
    official_score : float
        ``official.macro_f1``: the task's score, in percent.
    unknown_labels : tuple of (str, int)
        Proposed labels (19-way) the key does not contain, with their counts, sorted as the
        script sorts them; the script prints a warning for each.
    """

    directed: SemEvalEvaluation
    undirected: SemEvalEvaluation
    official: SemEvalEvaluation
    official_score: float
    unknown_labels: tuple[tuple[str, int], ...]

    @property
    def evaluations(self) -> tuple[SemEvalEvaluation, SemEvalEvaluation, SemEvalEvaluation]:
        """(i), (ii), (iii) in the script's order."""
        return (self.directed, self.undirected, self.official)


# ----------------------------------------------------------------------------- public API


def semeval2010_task8_score(y_true: Any, y_pred: Any, ids: Any = None) -> SemEvalResult:
    """Score relation predictions as ``semeval2010_task8_scorer-v1.2.pl`` does.

    Parameters
    ----------
    y_true : sequence of str, or mapping id -> str
        The key: one of the 19 labels (:data:`SEMEVAL2010_TASK8_LABELS`) for each id.
    y_pred : sequence of (str or None), or mapping id -> str
        The proposal. A sequence is aligned with ``y_true`` (``None``: no prediction for that id,
        a "skipped" example); a mapping may hold any subset of the key's ids.
    ids : sequence of int or str, default=None
        Ids of the ``y_true`` (and sequence ``y_pred``) entries, non-negative integers or digit
        strings; default ``0, 1, ..., n - 1``. Not allowed when ``y_true`` is a mapping.

    Returns
    -------
    SemEvalResult
        ``result.official_score`` is the task's score; :func:`format_semeval_report` prints the
        script's text.

    Examples
    --------
    >>> key = ["Cause-Effect(e1,e2)", "Cause-Effect(e2,e1)", "Other", "Message-Topic(e1,e2)"]
    >>> pred = ["Cause-Effect(e1,e2)", "Cause-Effect(e1,e2)", "Other", None]
    >>> result = semeval2010_task8_score(key, pred)
    >>> result.official.relations[0]
    RelationScore(label='Cause-Effect', correct=1, proposed=1, wrong_direction=1, actual=2, precision=50.0, recall=50.0, f1=50.0)
    >>> round(result.official_score, 4), round(result.undirected.macro_f1, 4)
    (25.0, 50.0)
    """
    key, proposal = _check_inputs(y_true, y_pred, ids)
    pairs = [(label, key[i]) for i, label in proposal.items()]  # (proposed, answer), as the script keys them
    n_proposed, n_key = len(proposal), len(key)

    directed = Counter(pairs)  # (i): the 19-way matrix; (ii) and (iii) are derived from its cells
    undirected: Counter = Counter()
    official: Counter = Counter()
    wrong_direction: Counter = Counter()
    for (p, a), count in directed.items():
        p10, a10 = _strip_direction(p), _strip_direction(a)
        undirected[(p10, a10)] += count
        if p != a and p10 == a10:  # right relation, wrong direction: the xDIRx column of row a10
            wrong_direction[a10] += count
        else:
            official[(p10, a10)] += count

    key19 = Counter(key.values())
    key10: Counter = Counter()
    for a, count in key19.items():
        key10[_strip_direction(a)] += count
    proposed19 = Counter(proposal.values())
    unknown = tuple((label, proposed19[label]) for label in _script_sorted(proposed19) if label not in key19)
    evaluations = (
        _evaluate("directed", directed, key19, Counter(), n_proposed, n_key),
        _evaluate("undirected", undirected, key10, Counter(), n_proposed, n_key),
        _evaluate("official", official, key10, wrong_direction, n_proposed, n_key),
    )
    return SemEvalResult(*evaluations, official_score=evaluations[2].macro_f1, unknown_labels=unknown)


def format_semeval_report(result: SemEvalResult) -> str:
    """The text the official scorer prints (its standard output), character for character.

    Parameters
    ----------
    result : SemEvalResult
        From :func:`semeval2010_task8_score`.

    Examples
    --------
    >>> result = semeval2010_task8_score(["Other", "Cause-Effect(e1,e2)"], ["Other", "Cause-Effect(e1,e2)"])
    >>> print(format_semeval_report(result).splitlines()[-1])
    <<< The official score is (9+1)-way evaluation with directionality taken into account: macro-averaged F1 = 100.00% >>>
    """
    if not isinstance(result, SemEvalResult):
        raise TypeError(f"result: expected a SemEvalResult from semeval2010_task8_score, got {describe(result)}")
    out = []
    for label, count in result.unknown_labels:
        out.append(
            f"!!!WARNING!!! The proposed file contains {count} label(s) of type '{_script_name(label)}', "
            "which is NOT present in the key file.\n\n"
        )
    for evaluation in result.evaluations:
        out.append(_TITLES[evaluation.name] + "\n\n")
        out.append(_format_evaluation(evaluation))
    out.append(
        "<<< The official score is (9+1)-way evaluation with directionality taken into account: "
        "macro-averaged F1 = %0.2f%% >>>\n" % result.official_score
    )
    return "".join(out)


def write_answer_file(path: str | Path, ids: Any, labels: Any) -> None:
    """Write ``<id><TAB><label>`` lines (LF ends), the file the official scorer reads.

    Parameters
    ----------
    path : str or Path
    ids : sequence of int or str
        Non-negative integers or digit strings, no id twice (the scorer rejects repeats).
    labels : sequence of str
        One of the 19 labels for each id.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "answer.txt"
    >>> write_answer_file(f, [8001, 8002], ["Message-Topic(e1,e2)", "Other"])
    >>> f.read_text()
    '8001\\tMessage-Topic(e1,e2)\\n8002\\tOther\\n'
    >>> read_answer_file(f)
    {'8001': 'Message-Topic(e1,e2)', '8002': 'Other'}
    """
    id_list = _id_list(ids, "ids")
    label_list = _sequence(labels, "labels")
    if len(id_list) != len(label_list):
        raise ValueError(f"inconsistent numbers of samples: expected equal lengths, got ids={len(id_list)}, labels={len(label_list)}")
    _check_unique(id_list, "ids")
    for i, label in zip(id_list, label_list):
        _check_label(label, "labels", i)
    text = "".join(f"{i}\t{label}\n" for i, label in zip(id_list, label_list))
    with open(path, "w", encoding="ascii", newline="") as fh:
        fh.write(text)


def read_answer_file(path: str | Path) -> dict[str, str]:
    """Read an answer (or key) file as the official scorer does.

    Every line must be ``<digits><TAB><label>`` ended by LF or CRLF, with one of the 19 labels and
    no id twice; a line that breaks this, a blank line and a last line without its line end are
    the lines the script stops on ("Bad file format on line N"), and here raise
    :class:`~mlcanon.data.FormatError` naming the file and the line.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    dict of str -> str
        id (as written, a digit string) -> label, in file order; pass it to
        :func:`semeval2010_task8_score` as ``y_true`` or ``y_pred``.
    """
    path = Path(path)
    answers: dict[str, str] = {}
    first_line: dict[str, int] = {}
    with open(path, "rb") as fh:
        data = fh.read()
    # The script reads bytes; latin-1 maps each byte to one character, so nothing fails to decode
    # and a non-ASCII byte simply makes a bad id or label.
    lines = data.decode("latin-1").split("\n")
    if lines[-1] == "":
        lines.pop()  # the text after the last line end
    for no, raw in enumerate(lines, start=1):
        ended = no < len(lines) or data.endswith(b"\n")
        line = raw[:-1] if raw.endswith("\r") else raw
        head, tab, label = line.partition("\t")
        if not ended:
            raise FormatError(path, no, "the last line has no line end (the scorer needs one)", raw)
        if not tab or not _ID.fullmatch(head) or label not in _LABEL_SET:
            raise FormatError(path, no, f"expected '<id><TAB><label>' with one of the 19 labels {_LABELS_SHOWN}", raw)
        if head in answers:
            raise FormatError(path, no, f"id {head} is already defined on line {first_line[head]}", raw)
        answers[head] = label
        first_line[head] = no
    return answers


# ----------------------------------------------------------------------------- the evaluation


def _evaluate(
    name: str, matrix: Counter, key_counts: Counter, wrong_dir: Counter, n_proposed: int, n_key: int
) -> SemEvalEvaluation:
    """One evaluation from ``matrix[(proposed, answer)]`` counts, as the script's ``evaluate``."""
    rows = _script_sorted(key_counts)
    proposed_counts = Counter()
    for (p, _), count in matrix.items():
        proposed_counts[p] += count
    columns = rows + [label for label in _script_sorted(proposed_counts) if label not in key_counts]
    col_index = {label: j for j, label in enumerate(columns)}
    confusion = np.zeros((len(rows), len(columns)), dtype=np.int64)  # (key labels, proposed labels)
    row_index = {label: i for i, label in enumerate(rows)}
    for (p, a), count in matrix.items():
        confusion[row_index[a], col_index[p]] = count
    actual = np.array([key_counts[r] for r in rows], dtype=np.int64)
    wrong = np.array([wrong_dir[r] for r in rows], dtype=np.int64)
    skipped = actual - confusion.sum(axis=1) - wrong
    n_correct = int(np.trace(confusion))
    skipped_other = int(skipped[row_index[_OTHER]]) if _OTHER in row_index else 0

    relations = tuple(
        _relation_score(r, int(confusion[i, i]), proposed_counts[r], int(wrong[i]), int(actual[i]))
        for i, r in enumerate(rows)
    )
    averaged = [s for s in relations if s.label != _OTHER]
    micro_correct = sum(s.correct for s in averaged)
    micro_proposed = sum(s.proposed + s.wrong_direction for s in averaged)
    micro_actual = sum(s.actual for s in averaged)
    micro_p = 0.0 if micro_proposed == 0 else 100.0 * micro_correct / micro_proposed
    micro_r = 0.0 if micro_actual == 0 else 100.0 * micro_correct / micro_actual
    macro_p, macro_r, macro_f1 = 0.0, 0.0, 0.0
    for s in averaged:  # summed in row order, as the script's loop, then divided
        macro_p += s.precision
        macro_r += s.recall
        macro_f1 += s.f1
    n_relations = len(averaged)  # >= 1: _check_inputs rejects a key of Other only
    return SemEvalEvaluation(
        name=name, rows=tuple(rows), columns=tuple(columns), confusion=confusion,
        column_sums=np.array([proposed_counts[c] for c in columns], dtype=np.int64),
        wrong_direction=wrong, skipped=skipped, actual=actual,
        n_proposed=n_proposed, n_key=n_key, n_correct=n_correct,
        n_correct_skipped_other=n_correct + skipped_other,
        coverage=100.0 * n_proposed / n_key,
        accuracy=100.0 * n_correct / n_proposed,
        accuracy_skipped_wrong=100.0 * n_correct / n_key,
        accuracy_skipped_other=100.0 * (n_correct + skipped_other) / n_key,
        relations=relations,
        micro_correct=micro_correct, micro_proposed=micro_proposed, micro_actual=micro_actual,
        micro_precision=micro_p, micro_recall=micro_r, micro_f1=_f1(micro_p, micro_r),
        macro_precision=macro_p / n_relations, macro_recall=macro_r / n_relations,
        macro_f1=macro_f1 / n_relations,
    )  # fmt: skip


def _relation_score(label: str, correct: int, proposed: int, wrong: int, actual: int) -> RelationScore:
    # P is 0 when the label was never proposed, even if wrong-direction ones exist (the script's test)
    precision = 0.0 if proposed == 0 else 100.0 * correct / (proposed + wrong)
    recall = 0.0 if actual == 0 else 100.0 * correct / actual
    return RelationScore(label, correct, proposed, wrong, actual, precision, recall, _f1(precision, recall))


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


# "Cause-Effect(e2,e1)" -> "Cause-Effect": the script's s/\(e[12],e[12]\)$//, for the 19 labels
_UNDIRECTED = {label: label.split("(")[0] for label in SEMEVAL2010_TASK8_LABELS}
_strip_direction = _UNDIRECTED.__getitem__


def _script_name(label: str) -> str:
    """The name the script uses for a label: ``Other`` is ``_Other`` there."""
    return "_Other" if label == _OTHER else label


def _script_sorted(labels) -> list[str]:
    """Perl's ``sort keys`` (byte order) on the script's names; the labels are ASCII."""
    return sorted(labels, key=_script_name)


# ----------------------------------------------------------------------------- the text report


def _short_name(label: str, key_labels: tuple[str, ...]) -> str:
    """``C-E1`` for ``Cause-Effect(e1,e2)``, ``C-E`` undirected, ``_O_`` for Other; a label the
    key lacks loses its hyphen and gets a star (``*CE1``)."""
    if label == _OTHER:
        return "_O_"
    first, second = label[0], label[label.index("-") + 1]
    short = f"{first}-{second}" if label in key_labels else f"*{first}{second}"
    if "(e" in label:
        short += label[label.index("(e") + 2]
    return short


def _format_evaluation(ev: SemEvalEvaluation) -> str:
    wd = ev.uses_wrong_direction
    lines = ["Confusion matrix:\n"]
    lines.append("       " + "".join(" %4s" % _short_name(c, ev.rows) for c in ev.columns) + " <-- classified as\n")
    rule = "      +" + "-----" * len(ev.columns)
    lines.append(rule + ("+ -SUM- xDIRx skip  ACTUAL\n" if wd else "+ -SUM- skip ACTUAL\n"))
    for i, r in enumerate(ev.rows):
        cells = "".join("%4d " % n for n in ev.confusion[i])
        row_sum = int(ev.confusion[i].sum())
        if wd:
            tail = "| %4d  %4d  %4d %6d\n" % (row_sum, ev.wrong_direction[i], ev.skipped[i], ev.actual[i])
        else:
            tail = "| %4d %4d %4d\n" % (row_sum, ev.skipped[i], ev.actual[i])
        lines.append(" %4s |" % _short_name(r, ev.rows) + cells + tail)
    lines.append(rule + "+\n")
    sums = " -SUM- " + "".join("%4d " % n for n in ev.column_sums)
    n_wrong = int(ev.wrong_direction.sum())
    if wd:
        sums += "  %4d  %4d  %4d %6d\n\n" % (ev.n_proposed - n_wrong, n_wrong, ev.n_key - ev.n_proposed, ev.n_key)
    else:
        sums += "  %4d %4d %4d\n\n" % (ev.n_proposed, ev.n_key - ev.n_proposed, ev.n_key)
    lines.append(sums)
    lines.append("Coverage = %d/%d = %5.2f%%\n" % (ev.n_proposed, ev.n_key, ev.coverage))
    lines.append(
        "Accuracy (calculated for the above confusion matrix) = %d/%d = %5.2f%%\n"
        % (ev.n_correct, ev.n_proposed, ev.accuracy)
    )
    lines.append(
        "Accuracy (considering all skipped examples as Wrong) = %d/%d = %5.2f%%\n"
        % (ev.n_correct, ev.n_key, ev.accuracy_skipped_wrong)
    )
    lines.append(
        "Accuracy (considering all skipped examples as Other) = %d/%d = %5.2f%%\n"
        % (ev.n_correct_skipped_other, ev.n_key, ev.accuracy_skipped_other)
    )
    lines.append("\nResults for the individual relations:\n")
    for s in ev.relations:
        if wd:
            head = "%25s :    P = %4d/(%4d +%4d) = %6.2f" % (
                _script_name(s.label), s.correct, s.proposed, s.wrong_direction, s.precision
            )
        else:
            head = "%25s :    P = %4d/%4d = %6.2f" % (_script_name(s.label), s.correct, s.proposed, s.precision)
        lines.append(head + "%%     R = %4d/%4d = %6.2f%%     F1 = %6.2f%%\n" % (s.correct, s.actual, s.recall, s.f1))
    lines.append("\nMicro-averaged result (excluding Other):\n")
    lines.append(
        "P = %4d/%4d = %6.2f%%     R = %4d/%4d = %6.2f%%     F1 = %6.2f%%\n"
        % (ev.micro_correct, ev.micro_proposed, ev.micro_precision, ev.micro_correct, ev.micro_actual,
           ev.micro_recall, ev.micro_f1)
    )  # fmt: skip
    lines.append("\nMACRO-averaged result (excluding Other):\n")
    lines.append(
        "P = %6.2f%%\tR = %6.2f%%\tF1 = %6.2f%%\n\n\n\n" % (ev.macro_precision, ev.macro_recall, ev.macro_f1)
    )
    return "".join(lines)


# ----------------------------------------------------------------------------- input checks

_LABELS_SHOWN = "('Other', 'Cause-Effect(e1,e2)', ..., 'Product-Producer(e2,e1)')"


def _check_inputs(y_true: Any, y_pred: Any, ids: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The key and the proposal as ``{id: label}`` over string ids, checked as the script checks."""
    if isinstance(y_true, Mapping):
        if ids is not None:
            raise ValueError(f"ids: expected None when y_true is a mapping (it holds the ids), got {describe(ids)}")
        key_ids = _id_list(list(y_true.keys()), "y_true")
        key_labels = list(y_true.values())
    else:
        key_labels = _sequence(y_true, "y_true")
        key_ids = [str(i) for i in range(len(key_labels))] if ids is None else _id_list(ids, "ids")
        if len(key_ids) != len(key_labels):
            raise ValueError(
                f"inconsistent numbers of samples: expected equal lengths, got y_true={len(key_labels)}, ids={len(key_ids)}"
            )
    if not key_ids:
        raise ValueError("y_true: expected at least one labelled id, got none (the scorer divides by the key's size)")
    _check_unique(key_ids, "y_true" if isinstance(y_true, Mapping) else "ids")
    for i, label in zip(key_ids, key_labels):
        _check_label(label, "y_true", i)
    key = dict(zip(key_ids, key_labels))
    if all(label == _OTHER for label in key_labels):
        raise ValueError(
            "y_true: expected at least one relation other than 'Other', got only 'Other' "
            "(the scorer divides by the number of the key's relations)"
        )

    if isinstance(y_pred, Mapping):
        pred_ids = _id_list(list(y_pred.keys()), "y_pred")
        _check_unique(pred_ids, "y_pred")
        pairs = list(zip(pred_ids, y_pred.values()))
    else:
        pred_labels = _sequence(y_pred, "y_pred")
        if len(pred_labels) != len(key_labels):
            raise ValueError(
                f"inconsistent numbers of samples: expected equal lengths, got y_true={len(key_labels)}, "
                f"y_pred={len(pred_labels)} (give a mapping id -> label, or None, for a subset)"
            )
        pairs = [(i, label) for i, label in zip(key_ids, pred_labels) if label is not None]
    proposal = {}
    for i, label in pairs:
        if i not in key:
            raise ValueError(f"y_pred: expected ids of the key (y_true), got id {i!r}, which the key lacks")
        _check_label(label, "y_pred", i)
        proposal[i] = label
    if not proposal:
        raise ValueError("y_pred: expected at least one prediction, got none (the scorer divides by their number)")
    return key, proposal


def _sequence(value: Any, name: str) -> list:
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{name}: expected a sequence of labels (list, tuple or 1-D array), got {describe(value)}")
    if isinstance(value, np.ndarray) and value.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence of labels, got {describe(value)}")
    return list(value)


def _id_list(ids: Any, name: str) -> list[str]:
    """Ids as the script keys them: the digits of each id, as a string."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, (Sequence, np.ndarray)):
        raise TypeError(f"{name}: expected a sequence of ids (ints or digit strings), got {describe(ids)}")
    out = []
    for i in ids:
        if type(i) is int and i >= 0:  # the common case, first
            out.append(str(i))
        elif isinstance(i, (bool, np.bool_)):
            raise TypeError(f"{name}: expected ids that are non-negative ints or digit strings, got {describe(i)}")
        elif isinstance(i, (int, np.integer)) and i >= 0:
            out.append(str(int(i)))
        elif isinstance(i, str) and _ID.fullmatch(i):
            out.append(i)
        else:
            raise ValueError(f"{name}: expected ids that are non-negative ints or digit strings, got {describe(i)}")
    return out


def _check_unique(ids: list[str], name: str) -> None:
    seen = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"{name}: expected each id once (the scorer rejects repeats), got id {i!r} twice")
        seen.add(i)


def _check_label(label: Any, name: str, id_: str) -> None:
    if not isinstance(label, str) or label not in _LABEL_SET:
        raise ValueError(
            f"{name}: expected one of the 19 SemEval-2010 Task 8 labels {_LABELS_SHOWN} for id {id_!r}, "
            f"got {describe(label)} (the scorer stops on it: 'Bad file format')"
        )
