"""A linear-chain conditional random field as a PyTorch layer, for neural sequence labelling.

Lafferty, McCallum & Pereira (2001), "Conditional Random Fields"; used on top of a BiLSTM by
Lample et al. (2016), "Neural Architectures for Named Entity Recognition". With emission
scores ``E[t, y]`` from the network and learned transition scores,

    score(x, y) = start[y_1] + Σ_t E[t, y_t] + Σ_{t>1} A[y_{t-1}, y_t] + end[y_T]
    log p(y | x) = score(x, y) - log Z(x),      log Z = logsumexp over all K^T tag sequences

``log Z`` comes from the forward algorithm in log space, over the whole batch at once:

    α_1 = start + E[1]
    α_t[j] = logsumexp_i (α_{t-1}[i] + A[i, j]) + E[t, j]          (one (B, K, K) logsumexp a step)
    log Z = logsumexp_j (α_T[j] + end[j])

(computed as the equivalent scaled recursion in probability space when that is safe, see
``CRF._log_partition``), and the best path from Viterbi (the same recursion with max and argmax, then a backtrace that
runs over the whole batch at once). The posterior marginals p(y_t = j | x) are the gradient of
log Z with respect to the emissions (Eisner 2016, "Inside-Outside and Forward-Backward
Algorithms Are Just Backprop"), which is how :meth:`CRF.marginals` computes them.

Reference: pytorch-crf (``torchcrf.CRF``): same parameter names (``start_transitions``,
``end_transitions``, ``transitions[i, j]`` = score of tag i followed by tag j), same
``forward`` (the log-likelihood, with the same reductions) and ``decode`` (lists of tag ids).
Padding is given by a mask that must be on at the first step of every sequence, as
pytorch-crf requires, and (checked here) on for a prefix of each sequence only.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mlcanon.validation import check_int, check_option

__all__ = ["CRF"]

_REDUCTIONS = ("none", "sum", "mean", "token_mean")
# A step whose scale factor falls below this is redone in log space (see CRF._log_partition).
_SAFE_MIN = {dt: torch.finfo(dt).tiny ** 0.5 for dt in (torch.float16, torch.bfloat16, torch.float32, torch.float64)}


class CRF(nn.Module):
    """Linear-chain CRF layer with pytorch-crf's parameters and API.

    Parameters
    ----------
    num_tags : int
        Number of tags K.
    batch_first : bool
        Emissions are (B, T, K) instead of (T, B, K).

    Attributes
    ----------
    start_transitions : Parameter of shape (K,)
    end_transitions : Parameter of shape (K,)
    transitions : Parameter of shape (K, K), ``transitions[i, j]`` scores tag i followed by tag j

    Examples
    --------
    >>> import torch
    >>> crf = CRF(3, batch_first=True)
    >>> emissions = torch.randn(2, 4, 3)
    >>> tags = torch.tensor([[0, 1, 2, 1], [2, 2, 0, 0]])
    >>> mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.bool)
    >>> crf(emissions, tags, mask).shape  # the summed log-likelihood
    torch.Size([])
    >>> [len(p) for p in crf.decode(emissions, mask)]
    [4, 3]
    """

    def __init__(self, num_tags: int, batch_first: bool = False) -> None:
        super().__init__()
        self.num_tags = check_int(num_tags, "num_tags", minimum=1)
        self.batch_first = bool(batch_first)
        self.start_transitions = nn.Parameter(torch.empty(num_tags))
        self.end_transitions = nn.Parameter(torch.empty(num_tags))
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # pytorch-crf's initialisation: U(-0.1, 0.1).
        for p in (self.start_transitions, self.end_transitions, self.transitions):
            nn.init.uniform_(p, -0.1, 0.1)

    def extra_repr(self) -> str:
        return f"num_tags={self.num_tags}, batch_first={self.batch_first}"

    # -- public API ------------------------------------------------------------------------------

    def forward(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor | None = None,
                reduction: str = "sum") -> torch.Tensor:
        """Log-likelihood ``log p(tags | emissions)`` (maximise it; the loss is its negative).

        Parameters
        ----------
        emissions : Tensor of shape (T, B, K), or (B, T, K) if ``batch_first``
        tags : LongTensor of shape (T, B) or (B, T)
        mask : bool/uint8 Tensor of shape (T, B) or (B, T), optional
            On for real tokens, off for padding (at the end only; the first step must be on).
        reduction : {"sum", "none", "mean", "token_mean"}
            ``none``: one value per sequence (B,); ``sum`` over the batch; ``mean`` over the batch;
            ``token_mean``: the sum divided by the number of real tokens.
        """
        check_option(reduction, "reduction", _REDUCTIONS)
        emissions, mask, padded = self._validate(emissions, mask)
        tags = self._check_tags(tags, emissions)
        llh = self._score(emissions, tags, mask) - self._log_partition(emissions, mask, padded)  # (B,)
        if reduction == "none":
            return llh
        if reduction == "sum":
            return llh.sum()
        if reduction == "mean":
            return llh.mean()
        return llh.sum() / mask.sum().to(llh.dtype)

    @torch.no_grad()
    def decode(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> list[list[int]]:
        """The most likely tag sequence of each sequence (Viterbi), as lists of tag ids."""
        emissions, mask, padded = self._validate(emissions, mask)
        T, B, K = emissions.shape
        trans = self.transitions.unsqueeze(0)  # (1, K, K)
        score = self.start_transitions + emissions[0]  # (B, K)
        scores, history = [score], []
        for t in range(1, T):
            best, index = (score.unsqueeze(2) + trans).max(dim=1)  # (B, K): best previous tag of each tag
            score = best + emissions[t]
            history.append(index)
            scores.append(score)
        last = mask.sum(0) - 1  # (B,) index of each sequence's last real step
        if padded:
            score = torch.stack(scores).gather(0, last.view(1, B, 1).expand(1, B, K)).squeeze(0)  # (B, K)
        best_last = (score + self.end_transitions).argmax(dim=1)  # (B,)
        hist = torch.stack(history).cpu().numpy() if history else np.zeros((0, B, K), dtype=np.int64)
        return _backtrace(hist, best_last.cpu().numpy(), last.cpu().numpy())

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Posterior marginals p(y_t = j | x), shaped like ``emissions``; zero at padding.

        Computed as ∂ log Z / ∂ emissions (forward-backward by automatic differentiation).
        """
        emissions, mask, padded = self._validate(emissions, mask)
        with torch.enable_grad():
            e = emissions.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self._log_partition(e, mask, padded).sum(), e)
        return grad.transpose(0, 1) if self.batch_first else grad

    # -- the two halves of the log-likelihood ------------------------------------------------------

    def _score(self, emissions, tags, mask) -> torch.Tensor:
        """score(x, y) of the given tags, vectorised over time and batch: (B,)."""
        maskf = mask.to(emissions.dtype)  # (T, B)
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (T, B): E[t, y_t]
        trans = self.transitions[tags[:-1], tags[1:]]  # (T-1, B): A[y_{t-1}, y_t]
        last = (mask.sum(0) - 1).unsqueeze(0)  # (1, B)
        last_tags = tags.gather(0, last).squeeze(0)  # (B,)
        return (self.start_transitions[tags[0]] + (emit * maskf).sum(0) + (trans * maskf[1:]).sum(0)
                + self.end_transitions[last_tags])

    def _log_partition(self, emissions, mask, padded: bool) -> torch.Tensor:
        """log Z(x), the whole batch at once: (B,).

        The scaled forward recursion (Rabiner 1989) in probability space, normalised at every
        step, with the backward recursion written out for the gradient (:class:`_ForwardBackward`):
        a matmul and two element-wise ops a step each way, and no autograd graph over the time
        loop; several times faster than autograd through a log-space loop, and no underflow on
        long sequences (the scale factors are kept as logs). If a step's mass falls below
        √(smallest normal number) (scores that differ by more than ~40 nats on every likely path,
        e.g. -10000 constraints), the batch is redone in log space, so the result is exact either way.
        """
        dtype = emissions.dtype
        start, end, trans = (p.to(dtype) for p in (self.start_transitions, self.end_transitions, self.transitions))
        last = mask.sum(0) - 1  # (B,) each sequence's last real step
        state = _scaled_forward(emissions.detach(), start.detach(), end.detach(), trans.detach(), last)
        if state is None:
            return self._log_partition_logspace(emissions, mask, padded)
        return _ForwardBackward.apply(emissions, start, end, trans, state)

    def _log_partition_logspace(self, emissions, mask, padded: bool) -> torch.Tensor:
        """log Z(x) by the forward algorithm in log space: one (B, K, K) logsumexp a step. (B,)"""
        T, B, K = emissions.shape
        trans = self.transitions.unsqueeze(0)  # (1, K, K)
        steps = emissions.unbind(0)  # T × (B, K)
        alpha = self.start_transitions + steps[0]  # (B, K)
        alphas = [alpha]
        for t in range(1, T):
            alpha = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + steps[t]  # (B, K)
            alphas.append(alpha)
        if padded:  # α at each sequence's own last step (padding only ever follows it)
            last = (mask.sum(0) - 1).view(1, B, 1).expand(1, B, K)
            alpha = torch.stack(alphas).gather(0, last).squeeze(0)  # (B, K)
        return torch.logsumexp(alpha + self.end_transitions, dim=1)

    # -- input checking ----------------------------------------------------------------------------

    def _validate(self, emissions, mask):
        """Time-major emissions (T, B, K), a bool mask (T, B), and whether any sequence is padded."""
        if not isinstance(emissions, torch.Tensor):
            raise TypeError(f"emissions: expected a torch.Tensor, got {type(emissions).__name__}")
        if emissions.dim() != 3:
            raise ValueError(
                f"emissions: expected a 3-D tensor (emissions must have dimension of 3), got shape {tuple(emissions.shape)}"
            )
        if emissions.shape[2] != self.num_tags:
            raise ValueError(
                f"emissions: expected last dimension num_tags={self.num_tags}, got shape {tuple(emissions.shape)}"
            )
        if not emissions.is_floating_point():
            raise TypeError(f"emissions: expected a floating-point tensor, got dtype {emissions.dtype}")
        if emissions.shape[0] == 0 or emissions.shape[1] == 0:
            raise ValueError(f"emissions: expected at least one step and one sequence, got shape {tuple(emissions.shape)}")
        if self.batch_first:
            emissions = emissions.transpose(0, 1)  # (T, B, K)
        T, B, _ = emissions.shape
        if mask is None:
            return emissions, torch.ones(T, B, dtype=torch.bool, device=emissions.device), False
        if not isinstance(mask, torch.Tensor):
            raise TypeError(f"mask: expected a torch.Tensor, got {type(mask).__name__}")
        want = (B, T) if self.batch_first else (T, B)
        if tuple(mask.shape) != want:
            raise ValueError(f"mask: expected shape {want} (the first two dimensions of emissions), got {tuple(mask.shape)}")
        mask = mask.transpose(0, 1) if self.batch_first else mask
        mask = mask.bool()
        if not bool(mask[0].all()):
            raise ValueError("mask: the first timestep must be on for every sequence (mask of the first timestep must all be on)")
        if bool((mask[1:] & ~mask[:-1]).any()):
            raise ValueError("mask: expected padding only at the end of each sequence (on for a prefix of steps, then off)")
        return emissions, mask, not bool(mask.all())

    def _check_tags(self, tags, emissions) -> torch.Tensor:
        if not isinstance(tags, torch.Tensor):
            raise TypeError(f"tags: expected a torch.Tensor, got {type(tags).__name__}")
        T, B = emissions.shape[:2]
        want = (B, T) if self.batch_first else (T, B)
        if tuple(tags.shape) != want:
            raise ValueError(f"tags: expected shape {want} (the first two dimensions of emissions), got {tuple(tags.shape)}")
        tags = tags.transpose(0, 1) if self.batch_first else tags
        if tags.is_floating_point() or tags.dtype == torch.bool:
            raise TypeError(f"tags: expected integer tag ids, got dtype {tags.dtype}")
        tags = tags.long()
        if bool((tags < 0).any()) or bool((tags >= self.num_tags).any()):
            raise ValueError(f"tags: expected ids in [0, {self.num_tags - 1}], got min {int(tags.min())} and max {int(tags.max())}")
        return tags


def _scaled_forward(emissions, start, end, trans, last):
    """The forward recursion in probability space, normalised each step; None if a step underflows.

    Scores are shifted by their maxima before exp() (m_t per step and sequence, and the maxima
    of start/end/transitions); the shifts are added back to log Z exactly.
    Returns (log Z (B,), and what the backward pass needs).
    """
    with torch.no_grad():
        T, B, K = emissions.shape
        m = emissions.amax(dim=2, keepdim=True)  # (T, B, 1)
        a, s0, e0 = trans.max(), start.max(), end.max()
        probs = torch.exp(emissions - m)  # (T, B, K)
        exp_trans, exp_end = torch.exp(trans - a), torch.exp(end - e0)  # (K, K), (K,)
        alphas = torch.empty_like(probs)  # (T, B, K) normalised α̂_t
        zs = emissions.new_empty(T, B, 1)  # the scale of each step
        alpha = torch.exp(start - s0) * probs[0]
        for t in range(T):
            if t:
                alpha = (alpha @ exp_trans).mul_(probs[t])  # Σ_i α̂[i] e^{A[i, j]} · e^{E[t, j]}
            z = alpha.sum(1, keepdim=True)
            alpha = alpha / z
            alphas[t], zs[t] = alpha, z
        alpha_last = alphas.gather(0, last.view(1, B, 1).expand(1, B, K)).squeeze(0)  # (B, K)
        w = (alpha_last * exp_end).sum(1)  # (B,)
        safe = _SAFE_MIN[emissions.dtype]
        if not (bool((zs > safe).all()) and bool((w > safe).all())):
            return None
        valid = (torch.arange(T, device=last.device).unsqueeze(1) <= last).to(emissions.dtype)  # (T, B)
        log_z = ((zs.squeeze(2).log() + m.squeeze(2)) * valid).sum(0) + s0 + e0 + last * a + w.log()
        return log_z, probs, exp_trans, exp_end, alphas, zs, w, last


class _ForwardBackward(torch.autograd.Function):
    """log Z with its gradient from the backward recursion (posterior marginals), not from autograd.

    ∂ log Z / ∂ E[t, j] = γ_t[j] = α̂_t[j] β̂_t[j]          (unary marginals)
    ∂ log Z / ∂ A[i, j] = Σ_t α̂_{t-1}[i] e^{A[i, j]} e^{E[t, j]} β̂_t[j] / z_t   (pairwise marginals)
    ∂ log Z / ∂ start = γ_1,   ∂ log Z / ∂ end = γ_last
    with β̂_last = e^{end} / w and β̂_t = (e^{A} (e^{E[t+1]} ⊙ β̂_{t+1})) / z_{t+1} (Rabiner's scaling).
    """

    @staticmethod
    def forward(ctx, emissions, start, end, trans, state):
        log_z, *saved = state
        ctx.save_for_backward(*saved)  # intermediates computed without grad (allowed since torch 2.0)
        return log_z

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):  # grad: (B,)
        probs, exp_trans, exp_end, alphas, zs, w, last = ctx.saved_tensors
        T, B, K = probs.shape
        init = exp_end / w.unsqueeze(1)  # (B, K) β̂ at each sequence's last step
        at_last = (torch.arange(T, device=last.device).unsqueeze(1) == last).to(probs.dtype).unsqueeze(2)  # (T, B, 1)
        betas = torch.empty_like(probs)
        beta = torch.zeros_like(init)
        for t in range(T - 1, -1, -1):
            # past a sequence's end β̂ is 0, so the recursion stays 0 there until its last step sets it
            rec = ((probs[t + 1] * beta) @ exp_trans.T).div_(zs[t + 1]) if t < T - 1 else beta
            beta = torch.addcmul(rec, at_last[t], init)
            betas[t] = beta
        gamma = alphas * betas * grad.view(1, B, 1)  # (T, B, K) marginals × upstream gradient
        g_trans = None
        if ctx.needs_input_grad[3] and T > 1:
            u = (probs[1:] * betas[1:] / zs[1:]).reshape(-1, K)  # ((T-1)·B, K)
            left = (alphas[:-1] * grad.view(1, B, 1)).reshape(-1, K)
            g_trans = exp_trans * (left.T @ u)  # (K, K) expected transition counts
        elif ctx.needs_input_grad[3]:
            g_trans = torch.zeros_like(exp_trans)
        g_start = gamma[0].sum(0) if ctx.needs_input_grad[1] else None
        g_end = gamma.gather(0, last.view(1, B, 1).expand(1, B, K)).squeeze(0).sum(0) if ctx.needs_input_grad[2] else None
        return gamma, g_start, g_end, g_trans, None


def _backtrace(hist: np.ndarray, best_last: np.ndarray, last: np.ndarray) -> list[list[int]]:
    """Follow the argmax pointers back from each sequence's best last tag, all sequences at once.

    hist[t - 1][b, j] is the best tag at step t - 1 given tag j at step t; a sequence whose last
    real step is ``last[b]`` starts its backtrace there (earlier steps of the loop leave it alone).
    """
    T, B = hist.shape[0] + 1, best_last.shape[0]
    rows = np.arange(B)
    path = np.empty((T, B), dtype=np.int64)
    cur = best_last.astype(np.int64)
    path[T - 1] = cur
    for t in range(T - 1, 0, -1):
        cur = np.where(t <= last, hist[t - 1][rows, cur], cur)
        path[t - 1] = cur
    columns = path.T.tolist()
    return [columns[b][: int(last[b]) + 1] for b in range(B)]
