"""What socbot knows about a model family: its context window and whether it reasons.

Reasoning models (OpenAI's o1/o3/o4 and gpt-5 families) refuse sampling settings such as
temperature and top_p and want `max_completion_tokens` instead of `max_tokens`. A server
that refuses a parameter this table did not foresee is handled at run time instead
(bot.agent.openai_request). The context window is a setting; this table is its default.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

log = logging.getLogger(__name__)

# A window small enough for any chat model still served today, for names nobody knows.
UNKNOWN_CONTEXT_WINDOW = 8_192


@dataclass(frozen=True)
class ModelProfile:
    name: str
    context_window: int
    reasoning: bool = False
    known: bool = True

    @property
    def token_parameter(self) -> str:
        return "max_completion_tokens" if self.reasoning else "max_tokens"


# (pattern on the model's base name, context window, reasoning), first match wins.
_FAMILIES: tuple[tuple[str, int, bool], ...] = (
    (r"gpt-5", 400_000, True),
    (r"o1-mini", 128_000, True),
    (r"o[134](-|$)", 200_000, True),
    (r"gpt-4\.1", 1_047_576, False),
    (r"gpt-4o", 128_000, False),
    (r"gpt-4-turbo", 128_000, False),
    (r"gpt-4-32k", 32_768, False),
    (r"gpt-4", 8_192, False),
    (r"gpt-3\.5-turbo", 16_385, False),
    (r"(meta-)?llama-?3\.[123]", 131_072, False),
    (r"(meta-)?llama-?3", 8_192, False),
    (r"(qwen2\.5|qwen3|mistral-(small|large|nemo))", 32_768, False),
)


def base_name(model: str) -> str:
    """'openai/gpt-4o-mini', 'Meta-Llama-3.1-8B-Instruct.gguf' → the lower-case last part."""
    return model.strip().rsplit("/", 1)[-1].lower()


def profile_for(model: str, context_window: int | None = None) -> ModelProfile:
    """The model's profile; `context_window` (the setting) overrides the known default."""
    name = base_name(model)
    for pattern, window, reasoning in _FAMILIES:
        if re.match(pattern, name):
            return ModelProfile(name, context_window or window, reasoning)
    if context_window is None:
        _warn_unknown(model)
    return ModelProfile(name, context_window or UNKNOWN_CONTEXT_WINDOW, known=False)


@lru_cache(maxsize=32)
def _warn_unknown(model: str) -> None:
    log.warning(
        "model %r is not a known family: assuming a %d-token context window; "
        "set SOCBOT_MODEL_CONTEXT_WINDOW to its real size",
        model,
        UNKNOWN_CONTEXT_WINDOW,
    )
