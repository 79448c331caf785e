"""The body of a chat-completions request, and what a server refused in earlier ones.

Sampling settings and response_format are optional: a model family known to refuse them
never gets them, and when a server answers 400 naming one, the call is retried without it
and the parameter stays left out for the rest of the process. The output cap is never
left out: a server that refuses `max_tokens` gets `max_completion_tokens` instead (and the
other way round), because a reply without a cap can run until the context is full.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from bot.agent.model_profile import ModelProfile

log = logging.getLogger(__name__)

TOKEN_PARAMETERS = ("max_tokens", "max_completion_tokens")
SAMPLING_PARAMETERS = ("temperature", "top_p")
DROPPABLE = (*SAMPLING_PARAMETERS, "response_format")
_REFUSAL_WORDS = re.compile(
    r"unsupported|not supported|does not support|not allowed|unrecognized|unknown|"
    r"extra (inputs|fields)|not permitted",
    re.IGNORECASE,
)


@dataclass
class RequestShape:
    """Builds request bodies for one model and learns from the server's refusals."""

    profile: ModelProfile
    max_tokens: int
    sampling: dict[str, float | None] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)
    token_parameter: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.token_parameter = self.token_parameter or self.profile.token_parameter
        self.sampling = {k: v for k, v in self.sampling.items() if v is not None}
        if self.profile.reasoning:
            self.dropped |= set(SAMPLING_PARAMETERS)

    def body(
        self,
        model: str,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        response_format: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"model": model, "messages": messages}
        if tools:
            request["tools"] = tools
            request["tool_choice"] = "auto"
        with self._lock:
            request[self.token_parameter] = self.max_tokens
            for name, value in self.sampling.items():
                if name not in self.dropped:
                    request[name] = value
            if response_format is not None and "response_format" not in self.dropped:
                request["response_format"] = response_format
        return request

    def learn(self, request: dict[str, Any], param: str | None, message: str) -> str | None:
        """After a 400: the parameter of `request` the server refused, now left out or
        swapped, or None when the refusal names nothing this shape may change."""
        named = _named_parameter(request, param, message)
        if named is None:
            return None
        with self._lock:
            if named in TOKEN_PARAMETERS:
                other = TOKEN_PARAMETERS[1 - TOKEN_PARAMETERS.index(named)]
                if self.token_parameter != named:
                    return None
                self.token_parameter = other
            else:
                self.dropped.add(named)
        log.warning(
            "model %s refused %r (%s); not sending it again", self.profile.name, named, message
        )
        return named


def _named_parameter(request: dict[str, Any], param: str | None, message: str) -> str | None:
    # Only a refusal of the parameter itself: "max_tokens is too large" is not one.
    if not _REFUSAL_WORDS.search(message):
        return None
    candidates = [name for name in (*TOKEN_PARAMETERS, *DROPPABLE) if name in request]
    if param in candidates:
        return param
    for name in candidates:
        if re.search(rf"(?<![a-z_]){re.escape(name)}(?![a-z_])", message):
            return name
    return None
