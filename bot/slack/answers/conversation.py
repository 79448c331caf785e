"""Answering an analyst in a Slack thread: one task per question, the thread as the memory.

The question runs as a task of kind "thread" whose actor is the analyst, so what the model's
tool calls do is done in the analyst's name and under the gate: reads run, recommendations
become drafts in the thread, approval-gated actions become approval cards, refusals are said.
When the model cannot be reached, the offline engine answers and the reply says so.

The answer goes through the outbox (bot.slack.answers.outbox_store): the question is claimed there
before it is answered, and the reply is kept there until Slack has it, so a question Slack
delivers again is answered once, and an answer Slack could not take is posted later.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.agent.injection import injection_markers
from bot.agent.run import AgentRequest, AgentRun, run_agent
from bot.runtime import Runtime
from bot.slack.answers.outbox import deliver
from bot.slack.answers.outbox_store import OutboxStore
from bot.slack.answers.prompt import (
    history_budget,
    history_messages,
    question_prompt,
    strip_mention,
)
from bot.slack.answers.store import ConversationStore, Role, ThreadMessage
from bot.slack.approvals.proposals import as_proposed, refusal_line
from bot.slack.blocks.escape import mrkdwn
from bot.slack.blocks.record_view import ASSESSMENT, claims_note, done_from_outcomes, record_section
from bot.slack.context import SlackContext
from bot.tasks.runner import TaskHandle

log = logging.getLogger(__name__)

EMPTY_QUESTION = (
    "Ask me about an alert or an identity in this thread, e.g. "
    "“who else signed in from that IP?” or “should we revoke p-maria-chen's sessions?”"
)
FALLBACK_NOTE = (
    ":electric_plug: *Offline answer*: the model gave no usable answer ({reason}), so "
    "socbot's offline rules engine answered. It runs fixed checks and does not follow the "
    "conversation."
)
NO_ANSWER = "I have no answer to that."
ANSWER_LIMIT = 3_500


@dataclass(frozen=True)
class Question:
    channel: str
    thread_ts: str
    user: str
    text: str  # the bot's own mention taken out
    message_ts: str


def answer_in_thread(
    ctx: SlackContext, *, channel: str, thread_ts: str, user: str, text: str, message_ts: str
) -> None:
    """Answer `text` (a mention or a DM) in its thread, and keep both turns for the next one."""
    question = Question(channel, thread_ts, user, strip_mention(text, ctx.bot_user_id), message_ts)
    if not question.text:
        ctx.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=EMPTY_QUESTION)
        return
    store = ConversationStore(ctx.runtime.engine, ctx.runtime.redactor)
    # A question kept by an earlier try that ended without an answer is asked again, once.
    thread = [m for m in store.thread(channel, thread_ts) if m.ts != message_ts]
    _answer_as_task(ctx, store, question, thread)


def _answer_as_task(
    ctx: SlackContext, store: ConversationStore, question: Question, thread: list[ThreadMessage]
) -> None:
    runtime = ctx.runtime
    where = {"channel": question.channel, "thread_ts": question.thread_ts}
    subject = {"slack": {**where, "ts": question.message_ts}}
    outbox = OutboxStore(runtime.engine)
    with runtime.tasks.run("thread", question.user, runtime.task_limits(), subject=subject) as task:
        claimed = outbox.claim_question(
            question.channel, question.thread_ts, question.message_ts, task.id
        )
        if claimed != "answer":
            return  # answered, its answer waiting for Slack, or another worker on it now
        _keep(store, question, task, question.user, question.text, question.message_ts)
        _audit_injection(runtime, task, question.text)
        post = store.triage_post(question.channel, question.thread_ts)
        answer = _answer(runtime, task, question.text, thread, post.facts if post else None)
        reply = outbox.ready(
            question.channel,
            question.message_ts,
            task.id,
            text=reply_text(answer),
            thread_text=answer.result.final_text,
            proposals=[
                a.model_dump(mode="json", exclude={"detail"})
                for a in as_proposed(answer.result.outcomes)
            ],
        )
        if reply is not None:
            deliver(ctx, reply, outbox)  # or left pending, for the outbox drainer
        task.summary = answer.result.final_text[:500] or None


def _keep(
    store: ConversationStore, question: Question, task: TaskHandle, author: str, text: str, ts: str
) -> bool:
    """Keep one turn of the thread, the asker's or socbot's (author: a Slack user id)."""
    role: Role = "user" if author == question.user else "assistant"
    return store.append(
        channel=question.channel,
        thread_ts=question.thread_ts,
        ts=ts,
        role=role,
        text=text,
        user_id=author,
        task_id=task.id,
    )


def _audit_injection(runtime: Runtime, task: TaskHandle, question: str) -> None:
    markers = injection_markers([question])
    if markers:
        runtime.audit.record(
            "injection.suspect",
            task_id=task.id,
            actor=task.actor,
            data={"where": "slack message", "markers": markers},
        )


def _answer(
    runtime: Runtime,
    task: TaskHandle,
    question: str,
    thread: list[ThreadMessage],
    alert_facts: Mapping[str, Any] | None,
) -> AgentRun:
    """The agent on the question, with the thread as history and the alert as evidence."""
    prompt = question_prompt(
        question,
        asker=task.actor,
        alert_facts=alert_facts,
        prompts_dir=runtime.settings.prompts_dir,
    )
    evidence: dict[str, Any] = {"slack_question": question[:2_000], "asked_by": task.actor}
    if alert_facts:
        evidence["alert"] = dict(alert_facts)
    history = history_messages(thread, runtime.counter, history_budget(task.limits.tokens))
    request = AgentRequest(prompt.text, prompt, evidence, history)
    return run_agent(runtime.agent_parts(), task, request)


def reply_text(answer: AgentRun) -> str:
    """The model's answer, escaped, with what socbot itself has to say around it."""
    result = answer.result
    parts = []
    if answer.fell_back_because:
        parts.append(FALLBACK_NOTE.format(reason=mrkdwn(answer.fell_back_because, 200)))
    model_text = result.final_text.strip() or NO_ANSWER
    parts.append(ASSESSMENT + "\n" + mrkdwn(model_text, ANSWER_LIMIT))
    done = done_from_outcomes(result.outcomes)
    flagged = claims_note([model_text], done)
    if flagged:
        parts.append(flagged)
    parts.append(record_section(done))
    actions = as_proposed(result.outcomes)
    parts.extend(refusal_line(a) for a in actions if a.status not in _POSTED)
    drafts = len({a.request_id for a in actions if a.status == "recommended"})
    cards = len({a.request_id for a in actions if a.status == "awaiting_approval"})
    if drafts or cards:
        parts.append(f"Below: {_count(drafts, 'draft')}, {_count(cards, 'approval card')}.")
    if result.stopped_by:
        parts.append(f":hourglass: I stopped early: this answer hit its {result.stopped_by} limit.")
    if result.unusable:
        parts.append(f":warning: This answer is incomplete: {mrkdwn(result.unusable, 300)}.")
    parts.extend(
        f":construction: *Model server problem*: {mrkdwn(w, 300)}" for w in result.warnings
    )
    return "\n\n".join(parts)


_POSTED = ("recommended", "awaiting_approval")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
