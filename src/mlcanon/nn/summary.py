"""A model's layer-by-layer summary: output shapes, parameter counts, multiply-adds and memory.

Reference: torchinfo 1.8 (``torchinfo.summary``), whose totals and rows this reproduces; the tests
compare both on every vision model of :mod:`mlcanon.models`. One forward pass on random input (in
``eval`` mode, under ``no_grad``) with a pre-hook and a hook on every module records, per call:

    row       = the module's class, depth in the module tree, output shape, parameters (its own and
                its children's); a module called again (a shared ReLU) gives another row, "recursive"
    params    = Σ leaf rows' parameters + Σ containers' parameters not in any child (e.g. ViT's
                cls_token and pos_embed), recursive rows counted once
    mult-adds = Σ over leaf rows: conv:  parameters · N · (output spatial size)   (per weight, bias)
                                  other: parameters · N                           (N = output's dim 0)
                — torchinfo's estimate: a linear layer on (B, T, D) tokens counts B, not B·T, rows
    forward/backward pass size = Σ over leaf rows with parameters: 2 · output bytes (activation + gradient)
    params size = Σ over leaf rows (not recursive): parameter bytes
    input size  = bytes of the input tensors (torchinfo adds Python's 64-byte object header per tensor)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from mlcanon.validation import check_int, describe

__all__ = ["LayerRow", "ModelSummary", "summary"]


@dataclass
class LayerRow:
    """One call of one module during the forward pass."""

    class_name: str
    var_name: str
    depth: int
    num_params: int  # this module's and its children's
    trainable_params: int
    param_bytes: int
    is_leaf: bool
    is_recursive: bool = False  # the module was already called (or listed) before
    output_shape: list[int] = field(default_factory=list)
    output_bytes: int = 0
    mult_adds: int = 0
    depth_index: int = 0  # 1-based position among the rows of the same depth, as torchinfo's "1-3"
    parent: LayerRow | None = field(default=None, repr=False)
    children: list[LayerRow] = field(default_factory=list, repr=False)
    module: nn.Module | None = field(default=None, repr=False)

    def leftover_params(self, trainable: bool = False) -> int:
        """Parameters of this module that none of its (non-recursive) children rows hold."""
        own = self.trainable_params if trainable else self.num_params
        return own - sum((c.trainable_params if trainable else c.num_params) if c.is_leaf
                         else c.leftover_params(trainable) for c in self.children if not c.is_recursive)


@dataclass
class ModelSummary:
    """The rows and totals of :func:`summary`; ``str()`` is the table."""

    rows: list[LayerRow]
    input_size: list[tuple[int, ...]]
    input_bytes: int
    total_params: int
    trainable_params: int
    total_mult_adds: int
    forward_backward_bytes: int
    params_bytes: int
    depth: int = 3

    @property
    def non_trainable_params(self) -> int:
        return self.total_params - self.trainable_params

    @property
    def input_mb(self) -> float:
        return self.input_bytes / 1e6

    @property
    def forward_backward_mb(self) -> float:
        return self.forward_backward_bytes / 1e6

    @property
    def params_mb(self) -> float:
        return self.params_bytes / 1e6

    @property
    def total_mb(self) -> float:
        return self.input_mb + self.forward_backward_mb + self.params_mb

    def __str__(self) -> str:
        widths = (44, 26, 16)
        line = "=" * sum(widths)
        out = [line, _cells(("Layer (type:depth-idx)", "Output Shape", "Param #"), widths), line]
        for row in self.rows:
            if row.depth > self.depth:
                continue
            name = row.class_name if row.depth == 0 else f"{row.class_name}: {row.depth}-{row.depth_index}"
            indent = "" if row.depth == 0 else "│    " * (row.depth - 1) + "├─"
            out.append(_cells((indent + name, str(row.output_shape or "--"), self._params_cell(row)), widths))
        out += [line,
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.non_trainable_params:,}",
                f"Total mult-adds ({_unit(self.total_mult_adds)[1]}): {_unit(self.total_mult_adds)[0]:.2f}",
                line,
                f"Input size (MB): {self.input_mb:.2f}",
                f"Forward/backward pass size (MB): {self.forward_backward_mb:.2f}",
                f"Params size (MB): {self.params_mb:.2f}",
                f"Estimated Total Size (MB): {self.total_mb:.2f}",
                line]
        return "\n".join(out)

    def _params_cell(self, row: LayerRow) -> str:
        if row.num_params == 0:
            return "--"
        if row.is_recursive:
            return "(recursive)"
        if row.is_leaf or row.depth == self.depth:
            return f"{row.num_params:,}" if row.trainable_params else f"({row.num_params:,})"
        left = row.leftover_params()
        return f"{left:,}" if left > 0 else "--"


def _cells(values: Sequence[str], widths: Sequence[int]) -> str:
    return "".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()


def _unit(n: int) -> tuple[float, str]:
    return (n / 1e12, "T") if n >= 1e12 else (n / 1e9, "G") if n >= 1e9 else (n / 1e6, "M")


def summary(
    model: nn.Module,
    input_size: Sequence[int] | Sequence[Sequence[int]],
    dtypes: Sequence[torch.dtype] | None = None,
    device: torch.device | str | None = None,
    *,
    depth: int = 3,
    mode: str = "eval",
    verbose: bool = True,
) -> ModelSummary:
    """Run ``model`` once on random input of ``input_size`` and tabulate every module call.

    Parameters
    ----------
    model : nn.Module
    input_size : tuple of int, or a list of them for several inputs
        Full shapes, batch dimension included (e.g. ``(1, 3, 224, 224)``).
    dtypes : list of torch.dtype, optional
        One per input; float32 by default.
    device : torch.device or str, optional
        Where to run; defaults to the device of the model's first parameter (CPU if none).
    depth : int, default=3
        Deepest rows shown in the table (all rows are in ``.rows``).
    mode : {"eval", "train"}, default="eval"
        The mode the pass runs in; the model's own mode is restored afterwards.
    verbose : bool, default=True
        Print the table.

    Examples
    --------
    >>> from mlcanon.models.resnet import resnet20
    >>> s = summary(resnet20(), (1, 3, 32, 32), verbose=False)
    >>> s.total_params, s.rows[1].output_shape
    (269722, [1, 16, 32, 32])
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {describe(model)}")
    sizes = _input_sizes(input_size)
    dtypes = list(dtypes) if dtypes is not None else [torch.float32] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"dtypes: expected one dtype per input ({len(sizes)}), got {len(dtypes)}")
    check_int(depth, "depth", minimum=0)
    if mode not in ("eval", "train"):
        raise ValueError(f"mode: expected 'eval' or 'train', got {mode!r}")
    if device is None:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
    inputs = [torch.rand(*size).to(device).type(dtype) for size, dtype in zip(sizes, dtypes)]
    rows = _trace(model, inputs, mode)
    result = _totals(rows, sizes, sum(x.nbytes for x in inputs), depth)
    if verbose:
        print(result)
    return result


def _input_sizes(input_size) -> list[tuple[int, ...]]:
    """One shape, or a list of shapes, as a list of tuples (torchinfo's reading of ``input_size``)."""
    if not isinstance(input_size, (list, tuple)) or len(input_size) == 0:
        raise TypeError(f"input_size: expected a shape tuple or a list of them, got {describe(input_size)}")
    shapes = [input_size] if all(isinstance(v, int) for v in input_size) else list(input_size)
    for shape in shapes:
        if (not isinstance(shape, (list, tuple)) or not shape
                or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in shape)):
            raise ValueError(f"input_size: expected shapes of positive ints, got {input_size!r}")
    return [tuple(s) for s in shapes]


def _trace(model: nn.Module, inputs: list[torch.Tensor], mode: str) -> list[LayerRow]:
    """Rows in call order, one per module call, with the tree of containers completed."""
    places: dict[int, tuple[str, int, nn.Module | None]] = {}  # module id → (name, depth, parent)

    def walk(name: str, module: nn.Module, depth: int, parent: nn.Module | None) -> None:
        places[id(module)] = (name, depth, parent)  # the last place in the tree wins, as torchinfo
        for child_name, child in module._modules.items():
            if child is not None:
                walk(child_name, child, depth + 1, module)

    walk(type(model).__name__, model, 0, None)
    rows: list[LayerRow] = []
    latest: dict[int, LayerRow] = {}  # module id → its row of the latest call
    seen: set[int] = set()

    def pre_hook(module: nn.Module, args) -> None:
        row = _new_row(module, places, latest)
        row.is_recursive = id(module) in seen
        seen.add(id(module))
        latest[id(module)] = row
        rows.append(row)

    def hook(module: nn.Module, args, output) -> None:
        row = latest[id(module)]
        row.output_shape, elem_bytes = _shape(output)
        row.output_bytes = elem_bytes * math.prod(row.output_shape)
        row.mult_adds = _mult_adds(module, row)

    handles = []
    modules = {id(m): m for m in _all_modules(model)}
    for m in modules.values():
        handles += [m.register_forward_pre_hook(pre_hook), m.register_forward_hook(hook)]
    was_training = model.training
    try:
        model.train(mode == "train")
        with torch.no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    _add_missing_containers(rows, modules, places, latest, seen)
    _link_children(rows)
    return rows


def _all_modules(model: nn.Module):
    stack = [model]
    while stack:
        m = stack.pop()
        yield m
        stack += [c for c in m._modules.values() if c is not None]


def _new_row(module: nn.Module, places, latest) -> LayerRow:
    name, depth, parent = places[id(module)]
    n = trainable = nbytes = 0
    for p in module.parameters():
        n += p.numel()
        nbytes += p.numel() * p.element_size()
        trainable += p.numel() if p.requires_grad else 0
    parent_row = latest.get(id(parent)) if parent is not None else None
    return LayerRow(type(module).__name__, name, depth, n, trainable, nbytes,
                    is_leaf=not any(True for _ in module.children()), parent=parent_row, module=module)


def _shape(output) -> tuple[list[int], int]:
    """Shape and element size of an output: a tensor, or the first tensor of a (nested) sequence or dict."""
    if isinstance(output, torch.Tensor):
        return list(output.shape), output.element_size()
    if isinstance(output, dict) and output:
        return _shape(list(output.values())[-1])
    if isinstance(output, (list, tuple)) and output:
        return _shape(output[0])
    return [], 0


def _mult_adds(module: nn.Module, row: LayerRow) -> int:
    if not row.output_shape:
        return 0
    total = 0
    for name, p in module.named_parameters():
        if name in ("weight", "bias"):
            spatial = math.prod(row.output_shape[:1] + row.output_shape[2:])
            total += p.numel() * (spatial if "Conv" in row.class_name else row.output_shape[0])
        elif "weight" in name or "bias" in name:  # recurrent layers' weight_ih_l0 ...: N · T per parameter
            total += math.prod(row.output_shape[:2]) * p.numel()
    return total


def _add_missing_containers(rows, modules, places, latest, seen) -> None:
    """Insert rows for containers never called themselves (a ModuleList), above their first child."""
    current: dict[int, nn.Module] = {}
    fillers: dict[int, list[LayerRow]] = {}
    i = 0
    while i < len(rows):
        row = rows[i]
        chain, parent = {}, places[id(row.module)][2]
        while parent is not None and places[id(parent)][1] > 0:
            chain[places[id(parent)][1]] = parent
            parent = places[id(parent)][2]
        for d in range(1, row.depth):
            if current.get(d) is not chain[d] and (i == 0 or rows[i - 1].module is not chain[d]):
                filler = _new_row(chain[d], places, latest)
                filler.is_recursive = id(chain[d]) in seen
                seen.add(id(chain[d]))
                fillers.setdefault(id(chain[d]), []).append(filler)
                rows.insert(i, filler)
                current[d] = chain[d]
                i += 1
        current[row.depth] = row.module
        for d in [d for d in current if d > row.depth]:
            del current[d]
        i += 1
    # torchinfo re-inserts one object for a container listed again, which marks every listing of it
    # recursive (the first too): its parameters then count once, through the leaves
    for listed in fillers.values():
        if len(listed) > 1:
            for filler in listed:
                filler.is_recursive = True


def _link_children(rows: list[LayerRow]) -> None:
    counters: dict[int, int] = {}
    for i, row in enumerate(rows):
        counters[row.depth] = counters.get(row.depth, 0) + 1
        row.depth_index = counters[row.depth]
        row.children = []
        for later in rows[i + 1:]:
            if later.depth <= row.depth:
                break
            row.children.append(later)


def _totals(rows: list[LayerRow], sizes, input_bytes: int, depth: int) -> ModelSummary:
    total = trainable = mult_adds = activations = param_bytes = 0
    for row in rows:
        if row.is_leaf:
            mult_adds += row.mult_adds
            if row.num_params > 0:
                activations += 2 * row.output_bytes  # the output and its gradient
            if row.is_recursive:
                continue
            total += row.num_params
            trainable += row.trainable_params
            param_bytes += row.param_bytes
        elif not row.is_recursive:
            total += max(row.leftover_params(), 0)
            trainable += max(row.leftover_params(trainable=True), 0)
    return ModelSummary(rows, list(sizes), input_bytes, total, trainable, mult_adds, activations, param_bytes, depth)
