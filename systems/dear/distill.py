"""DeAR stage-1 distillation as in the authors' code: a pointwise student learns from labels and a
teacher's scores over each query's group (positive at index 0).

total = (1 - alpha) * L_main + alpha * T^2 * KL(softmax(t / T) || softmax(s / T)), alpha = 0.1,
T = 2, KL averaged over groups (``batchmean``). L_main (``loss_type``): ``softmax_ce`` (code
default), ``ranknet_binary``, ``ranknet_binary_softmax_ce`` (0.5/0.5, the abstract's
"CE + RankNet + KL" mix), ``ranknet_teacher``, ``listnet_teacher``, ``listnet_binary``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from ir_harness.errors import ConfigError

if TYPE_CHECKING:
    from ir_harness.train.api import Group

LOSS_TYPES = (
    "softmax_ce",
    "ranknet_binary",
    "ranknet_binary_softmax_ce",
    "ranknet_teacher",
    "listnet_teacher",
    "listnet_binary",
)
LORA_TARGETS = ["q_proj", "v_proj", "o_proj", "down_proj", "up_proj", "gate_proj"]


def rank_net(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """Pairwise RankNet over i < j: BCE-with-logits of s_i - s_j against sigmoid(y_i - y_j)."""
    diff_pred = pred.unsqueeze(2) - pred.unsqueeze(1)
    target = torch.sigmoid((true.unsqueeze(2) - true.unsqueeze(1)).detach())
    upper = torch.triu(torch.ones_like(target, dtype=torch.bool), diagonal=1)
    return F.binary_cross_entropy_with_logits(diff_pred[upper], target[upper])


def list_net(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """KL(softmax(true) || softmax(pred)) per group, averaged (ListNet up to a constant)."""
    return F.kl_div(
        F.log_softmax(pred, dim=1), F.softmax(true.detach(), dim=1), reduction="batchmean"
    )


def main_loss(student: torch.Tensor, teacher: torch.Tensor, loss_type: str) -> torch.Tensor:
    """The supervised term; binary labels put the positive at index 0 of every group."""
    binary = torch.zeros_like(student)
    binary[:, 0] = 1.0
    first = torch.zeros(student.size(0), dtype=torch.long, device=student.device)
    if loss_type == "softmax_ce":
        return F.cross_entropy(student, first)
    if loss_type == "ranknet_binary":
        return rank_net(student, binary)
    if loss_type == "ranknet_binary_softmax_ce":
        return 0.5 * rank_net(student, binary) + 0.5 * F.cross_entropy(student, first)
    if loss_type == "ranknet_teacher":
        return rank_net(student, teacher)
    if loss_type == "listnet_teacher":
        return list_net(student, teacher)
    if loss_type == "listnet_binary":
        return list_net(student, binary)
    raise ConfigError(f"loss_type={loss_type!r}: expected one of {', '.join(LOSS_TYPES)}")


def distill_loss(
    student: torch.Tensor,
    teacher: torch.Tensor | None,
    loss_type: str = "softmax_ce",
    alpha: float = 0.1,
    temperature: float = 2.0,
) -> torch.Tensor:
    """DeAR's objective for (groups, group size) student / teacher scores."""
    base = main_loss(student, teacher if teacher is not None else student, loss_type)
    if teacher is None:
        return base
    t = temperature
    kl = F.kl_div(
        F.log_softmax(student / t, dim=1),
        F.softmax(teacher.detach() / t, dim=1),
        reduction="batchmean",
    )
    return (1 - alpha) * base + alpha * (t**2) * kl


class DistillStudent:
    """A one-output sequence classifier trained with ``distill_loss`` (RerankMethod)."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        device: str,
        group_size: int = 2,
        loss_type: str = "softmax_ce",
        alpha: float = 0.1,
        temperature: float = 2.0,
        q_max_len: int = 32,
        p_max_len: int = 196,
        lora: bool = False,
    ) -> None:
        if loss_type not in LOSS_TYPES:
            raise ConfigError(f"loss_type={loss_type!r}: expected one of {', '.join(LOSS_TYPES)}")
        if group_size < 2:
            raise ConfigError("dear-distill: group_size >= 2 (a positive and a negative)")
        self.model, self.tok, self.device = model, tokenizer, device
        self.group_size, self.loss_type = group_size, loss_type
        self.alpha, self.temperature = alpha, temperature
        self.q_max_len, self.p_max_len, self.lora = q_max_len, p_max_len, lora

    @classmethod
    def build(
        cls, base_model: str, device: str, lora: bool = False, **options: Any
    ) -> DistillStudent:
        """Fresh one-output head on ``base_model``; ``lora`` wraps it in DeAR's LoRA (r 32, a 64)."""
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from ir_harness.models import resolve_model

        path = resolve_model(base_model)
        tok = AutoTokenizer.from_pretrained(path)
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        tok.padding_side = "right"
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
        if model.config.pad_token_id is None:
            model.config.pad_token_id = tok.pad_token_id
        if lora:
            from ir_harness.systems.dear.pointwise import require_peft

            peft = require_peft()
            cfg = peft.LoraConfig(
                base_model_name_or_path=path,
                task_type=peft.TaskType.SEQ_CLS,
                r=32,
                lora_alpha=64,
                lora_dropout=0.1,
                target_modules=LORA_TARGETS,
            )
            model = peft.get_peft_model(model, cfg)
        model.to(device)
        return cls(model, tok, device, lora=lora, **options)

    def parameters(self) -> list[torch.nn.Parameter]:
        """All model weights for the optimiser; under ``lora`` peft froze all but the adapter."""
        return list(self.model.parameters())

    def train(self, mode: bool = True) -> Any:
        """Train or eval mode (dropout) of the model, as ``nn.Module.train``, for the loop."""
        return self.model.train(mode)

    def scores(self, groups: list[Group]) -> torch.Tensor:
        """(groups, group size) student logits, one per (query, document) pair in group order."""
        from ir_harness.systems.dear.pointwise import encode_pairs, pair_texts

        pairs = [pair_texts(g.query, d.title, d.text) for g in groups for d in g.docs]
        enc = encode_pairs(self.tok, pairs, self.q_max_len + self.p_max_len, self.device)
        return self.model(**enc).logits.float().view(len(groups), -1)

    def loss(self, groups: list[Group]) -> torch.Tensor:
        """``distill_loss`` of the student against the teacher scores; all groups of one size."""
        if len({len(g.docs) for g in groups}) != 1:
            raise ConfigError("dear-distill: every group needs the same size")
        teacher = torch.tensor([g.teacher for g in groups], device=self.device)
        return distill_loss(
            self.scores(groups), teacher, self.loss_type, self.alpha, self.temperature
        )

    def save(self, out: str) -> None:
        """A folder ``--system dear-pointwise --model OUT`` loads (an adapter when ``lora``)."""
        self.model.save_pretrained(out)
        self.tok.save_pretrained(out)
