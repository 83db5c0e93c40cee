"""Vision Transformer (ViT): an image as a sequence of 16×16 patches, read by a Transformer encoder.

Dosovitskiy et al. (2021), "An Image is Worth 16x16 Words: Transformers for Image Recognition at
Scale" (ICLR). Reference: timm's ``VisionTransformer`` (``timm.models.vision_transformer``); the
parameter names here are its state-dict keys (``patch_embed.proj``, ``cls_token``, ``pos_embed``,
``blocks.N.norm1``, ``blocks.N.attn.qkv``, ``blocks.N.attn.proj``, ``blocks.N.mlp.fc1/fc2``, ``norm``,
``head``), so ``load_state_dict(timm_model.state_dict(), strict=True)`` works and the logits agree.

Equations 1-4 of the paper, with N = HW/P² patches of P×P pixels and model width D::

    z₀ = [x_class; x_p¹E; …; x_pᴺE] + E_pos      E: a P×P convolution of stride P, E_pos: (N+1, D)
    z'ₗ = MSA(LN(zₗ₋₁)) + zₗ₋₁                    pre-norm blocks, l = 1..L
    zₗ  = MLP(LN(z'ₗ)) + z'ₗ                       MLP = fc2(GELU(fc1(·))), hidden 4D
    y   = head(LN(z_L⁰))                           the class token's final state
    MSA: softmax(Q Kᵀ / √d) V per head, d = D / heads, Q K V = one linear layer "qkv"

The paper's Table 1 (and timm's tiny/small, from DeiT: Touvron et al. 2021)::

    model    layers  width D  MLP   heads  params (1000 classes, 224×224)
    Ti/16    12      192      768   3       5.7 M
    S/16     12      384      1536  6      22.1 M
    B/16     12      768      3072  12     86.6 M (86,567,656)
    L/16     24      1024     4096  16    304.3 M

Fine-tuning at a higher resolution keeps the patch size, so the grid grows (224/16 = 14 → 384/16 = 24)
and the learned position embedding is resized by bicubic interpolation of its 2-D grid (§3.2);
:func:`resample_abs_pos_embed` does it as timm does (antialiased bicubic, class token kept), with
:func:`mlcanon.nn.sampling.interpolate`, and :meth:`ViT.load_checkpoint` applies it when a
checkpoint's grid differs from the model's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from mlcanon.nn.sampling import interpolate
from mlcanon.validation import check_int, check_option, check_scalar

__all__ = [
    "PRESETS",
    "Attention",
    "Block",
    "Mlp",
    "PatchEmbed",
    "ViT",
    "ViTConfig",
    "resample_abs_pos_embed",
    "vit_base_patch16_224",
    "vit_base_patch16_384",
    "vit_large_patch16_224",
    "vit_mnist",
    "vit_small_patch16_224",
    "vit_tiny_patch16_224",
]


@dataclass(frozen=True)
class ViTConfig:
    """Hyper-parameters of a :class:`ViT` (timm's argument names, fewer of them)."""

    img_size: int = 224
    patch_size: int = 16
    in_chans: int = 3
    num_classes: int = 1000
    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    mlp_ratio: float = 4.0
    qkv_bias: bool = True
    drop_rate: float = 0.0  # dropout after the position embedding, in the MLP and attention outputs, before the head
    attn_drop_rate: float = 0.0  # dropout on the attention weights
    # "token": the class token's state after the final norm (the paper); "avg": the mean of the patch
    # tokens, then a norm ("fc_norm", in place of the final one), as timm and the paper's §D.3 variant
    global_pool: Literal["token", "avg"] = "token"
    norm_eps: float = 1e-6  # timm's LayerNorm epsilon (the JAX original's), not torch's default 1e-5

    def __post_init__(self) -> None:
        for name in ("img_size", "patch_size", "in_chans", "embed_dim", "depth", "num_heads"):
            check_int(getattr(self, name), name, minimum=1)
        check_int(self.num_classes, "num_classes", minimum=0)
        check_scalar(self.mlp_ratio, "mlp_ratio", minimum=0.0, include_minimum=False)
        check_scalar(self.drop_rate, "drop_rate", minimum=0.0, maximum=1.0)
        check_scalar(self.attn_drop_rate, "attn_drop_rate", minimum=0.0, maximum=1.0)
        check_option(self.global_pool, "global_pool", ("token", "avg"))
        if self.img_size % self.patch_size:
            raise ValueError(f"img_size: expected a multiple of patch_size={self.patch_size}, got {self.img_size}")
        if self.embed_dim % self.num_heads:
            raise ValueError(f"embed_dim: expected a multiple of num_heads={self.num_heads}, got {self.embed_dim}")

    @property
    def grid_size(self) -> tuple[int, int]:
        return (self.img_size // self.patch_size,) * 2


PRESETS: dict[str, ViTConfig] = {
    "vit_tiny_patch16_224": ViTConfig(embed_dim=192, depth=12, num_heads=3),
    "vit_small_patch16_224": ViTConfig(embed_dim=384, depth=12, num_heads=6),
    "vit_base_patch16_224": ViTConfig(embed_dim=768, depth=12, num_heads=12),
    "vit_large_patch16_224": ViTConfig(embed_dim=1024, depth=24, num_heads=16),
    "vit_base_patch16_384": ViTConfig(img_size=384, embed_dim=768, depth=12, num_heads=12),
    # this module's small model for MNIST: 28×28, 7×7 patches → a 4×4 grid, 6 blocks of width 128
    "vit_mnist": ViTConfig(img_size=28, patch_size=7, in_chans=1, num_classes=10, embed_dim=128, depth=6,
                           num_heads=4, mlp_ratio=2.0, drop_rate=0.1),
}


class PatchEmbed(nn.Module):
    """x_pE for every patch at once: a P×P convolution of stride P, flattened to tokens."""

    def __init__(self, cfg: ViTConfig) -> None:
        super().__init__()
        self.img_size = (cfg.img_size, cfg.img_size)
        self.grid_size = cfg.grid_size
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.proj = nn.Conv2d(cfg.in_chans, cfg.embed_dim, kernel_size=cfg.patch_size, stride=cfg.patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        H, W = x.shape[-2:]
        if (H, W) != self.img_size:
            raise ValueError(f"x: expected images of size {self.img_size}, got {(H, W)}")
        x = self.proj(x)  # (B, D, H/P, W/P)
        return x.flatten(2).transpose(1, 2)  # (B, N, D)


class Attention(nn.Module):
    """Multi-head self-attention with one fused qkv projection: softmax(Q Kᵀ / √d) V, then proj."""

    def __init__(self, cfg: ViTConfig) -> None:
        super().__init__()
        self.num_heads = cfg.num_heads
        self.head_dim = cfg.embed_dim // cfg.num_heads
        self.qkv = nn.Linear(cfg.embed_dim, 3 * cfg.embed_dim, bias=cfg.qkv_bias)
        self.attn_drop = cfg.attn_drop_rate
        self.proj = nn.Linear(cfg.embed_dim, cfg.embed_dim)
        self.proj_drop = nn.Dropout(cfg.drop_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, D = x.shape
        qkv = self.qkv(x).reshape(B, T, 3, self.num_heads, self.head_dim)  # (B, T, 3, nh, hs)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (B, nh, T, hs)
        # torch's fused kernel computes softmax(q kᵀ / √hs) v without storing the (T, T) matrix
        x = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop if self.training else 0.0)
        x = x.transpose(1, 2).reshape(B, T, D)  # (B, T, D): heads concatenated
        return self.proj_drop(self.proj(x))


class Mlp(nn.Module):
    """fc2(GELU(fc1(x))), hidden width mlp_ratio · D."""

    def __init__(self, cfg: ViTConfig) -> None:
        super().__init__()
        hidden = int(cfg.embed_dim * cfg.mlp_ratio)
        self.fc1 = nn.Linear(cfg.embed_dim, hidden)
        self.act = nn.GELU()
        self.drop1 = nn.Dropout(cfg.drop_rate)
        self.fc2 = nn.Linear(hidden, cfg.embed_dim)
        self.drop2 = nn.Dropout(cfg.drop_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))  # (B, T, D)


class Block(nn.Module):
    """Pre-norm Transformer block: z' = z + MSA(LN(z)); z = z' + MLP(LN(z')) (equations 2-3)."""

    def __init__(self, cfg: ViTConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.embed_dim, eps=cfg.norm_eps)
        self.attn = Attention(cfg)
        self.norm2 = nn.LayerNorm(cfg.embed_dim, eps=cfg.norm_eps)
        self.mlp = Mlp(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """Vision Transformer: patch embedding, class token, position embedding, L blocks, norm, head.

    Parameters
    ----------
    config : ViTConfig, optional
        Defaults to ViT-B/16 at 224×224; see :data:`PRESETS` and the named builders.

    Examples
    --------
    >>> model = ViT(PRESETS["vit_mnist"]).eval()
    >>> model(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    >>> model.forward_features(torch.zeros(2, 1, 28, 28)).shape   # class token + 4×4 patches
    torch.Size([2, 17, 128])
    """

    def __init__(self, config: ViTConfig | None = None) -> None:
        super().__init__()
        cfg = config or ViTConfig()
        if not isinstance(cfg, ViTConfig):
            raise TypeError(f"config: expected a ViTConfig, got {type(cfg).__name__}")
        self.config = cfg
        self.patch_embed = PatchEmbed(cfg)
        self.num_prefix_tokens = 1
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.patch_embed.num_patches + 1, cfg.embed_dim))
        self.pos_drop = nn.Dropout(cfg.drop_rate)
        self.blocks = nn.Sequential(*[Block(cfg) for _ in range(cfg.depth)])
        avg = cfg.global_pool == "avg"
        self.norm = nn.Identity() if avg else nn.LayerNorm(cfg.embed_dim, eps=cfg.norm_eps)
        self.fc_norm = nn.LayerNorm(cfg.embed_dim, eps=cfg.norm_eps) if avg else nn.Identity()
        self.head_drop = nn.Dropout(cfg.drop_rate)
        self.head = nn.Linear(cfg.embed_dim, cfg.num_classes) if cfg.num_classes else nn.Identity()
        self._init_weights()

    def _init_weights(self) -> None:
        """timm's default: truncated normal (std 0.02) position embedding and linear weights, tiny class token."""
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) → final token states (B, 1 + N, D)."""
        if x.ndim != 4:
            raise ValueError(f"x: expected a 4-D tensor of shape (B, C, H, W), got shape {tuple(x.shape)}")
        x = self.patch_embed(x)  # (B, N, D)
        cls = self.cls_token.expand(x.shape[0], -1, -1)  # (B, 1, D)
        x = torch.cat([cls, x], dim=1) + self.pos_embed  # (B, 1 + N, D): equation 1
        x = self.blocks(self.pos_drop(x))
        return self.norm(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Token states (B, 1 + N, D) → logits (B, num_classes), or the pooled (B, D) with ``pre_logits``."""
        if self.config.global_pool == "avg":
            x = x[:, self.num_prefix_tokens:].mean(dim=1)  # (B, D)
        else:
            x = x[:, 0]  # (B, D): the class token
        x = self.head_drop(self.fc_norm(x))
        return x if pre_logits else self.head(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))

    def load_checkpoint(self, state_dict: dict[str, torch.Tensor], strict: bool = True):
        """``load_state_dict`` after resizing ``pos_embed`` to this model's grid (as timm's checkpoint filter).

        Examples
        --------
        >>> small = ViT(ViTConfig(img_size=32, patch_size=8, embed_dim=16, depth=1, num_heads=2))
        >>> big = ViT(ViTConfig(img_size=48, patch_size=8, embed_dim=16, depth=1, num_heads=2))
        >>> big.load_checkpoint(small.state_dict())
        <All keys matched successfully>
        """
        state_dict = dict(state_dict)
        posemb = state_dict.get("pos_embed")
        if posemb is not None and posemb.shape != self.pos_embed.shape:
            state_dict["pos_embed"] = resample_abs_pos_embed(posemb, self.patch_embed.grid_size,
                                                             num_prefix_tokens=self.num_prefix_tokens)
        return self.load_state_dict(state_dict, strict=strict)


def resample_abs_pos_embed(posemb: torch.Tensor, new_size: tuple[int, int], old_size: tuple[int, int] | None = None,
                           num_prefix_tokens: int = 1, interpolation: Literal["bicubic", "bilinear"] = "bicubic",
                           antialias: bool = True) -> torch.Tensor:
    """Resize a (1, prefix + h·w, D) position embedding to a new (h', w') grid, prefix tokens unchanged.

    As timm's ``resample_abs_pos_embed``: the grid (square unless ``old_size``) is interpolated as a
    D-channel image in float32, bicubic and antialiased by default.

    Examples
    --------
    >>> resample_abs_pos_embed(torch.zeros(1, 1 + 14 * 14, 8), (24, 24)).shape
    torch.Size([1, 577, 8])
    """
    if posemb.ndim != 3 or posemb.shape[0] != 1:
        raise ValueError(f"posemb: expected shape (1, tokens, D), got {tuple(posemb.shape)}")
    n_grid = posemb.shape[1] - num_prefix_tokens
    if old_size is None:
        side = math.isqrt(n_grid)
        if side * side != n_grid:
            raise ValueError(f"posemb: {n_grid} grid tokens is not a square; pass old_size")
        old_size = (side, side)
    if tuple(old_size) == tuple(new_size):
        return posemb
    prefix, grid = posemb[:, :num_prefix_tokens], posemb[:, num_prefix_tokens:]
    D = grid.shape[-1]
    grid = grid.float().reshape(1, old_size[0], old_size[1], D).permute(0, 3, 1, 2)  # (1, D, h, w)
    grid = interpolate(grid, size=tuple(new_size), mode=interpolation, antialias=antialias)  # (1, D, h', w')
    grid = grid.permute(0, 2, 3, 1).reshape(1, -1, D).to(posemb.dtype)  # (1, h'·w', D)
    return torch.cat([prefix, grid], dim=1)


def _build(name: str, **overrides) -> ViT:
    return ViT(replace(PRESETS[name], **overrides))


def vit_tiny_patch16_224(**overrides) -> ViT:
    """ViT-Ti/16 at 224×224 (DeiT's tiny); keyword arguments override :class:`ViTConfig` fields."""
    return _build("vit_tiny_patch16_224", **overrides)


def vit_small_patch16_224(**overrides) -> ViT:
    """ViT-S/16 at 224×224."""
    return _build("vit_small_patch16_224", **overrides)


def vit_base_patch16_224(**overrides) -> ViT:
    """ViT-B/16 at 224×224: 86,567,656 parameters with 1000 classes."""
    return _build("vit_base_patch16_224", **overrides)


def vit_large_patch16_224(**overrides) -> ViT:
    """ViT-L/16 at 224×224."""
    return _build("vit_large_patch16_224", **overrides)


def vit_base_patch16_384(**overrides) -> ViT:
    """ViT-B/16 at 384×384 (a 24×24 grid)."""
    return _build("vit_base_patch16_384", **overrides)


def vit_mnist(**overrides) -> ViT:
    """A small ViT for 28×28 grey images: 7×7 patches, width 128, 6 blocks, 10 classes."""
    return _build("vit_mnist", **overrides)
