"""The Web API methods the Slack stand-in answers (tests/support/slack_standin.py), as a mixin.

Each handler gets the call's decoded parameters and returns Slack's JSON answer. They run
with the stand-in's lock held and read and change its state: users, usergroups, messages,
uploads.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support import blockkit_limits

MESSAGE_FIELDS = ("blocks", "attachments", "thread_ts", "metadata")


@dataclass(frozen=True)
class SlackUser:
    """A workspace member users.info knows."""

    id: str
    email: str | None = None
    real_name: str = ""
    display_name: str = ""
    is_bot: bool = False
    team_id: str | None = None  # the stand-in's team when None
    deleted: bool = False


@dataclass(frozen=True)
class Upload:
    """Bytes POSTed to an upload URL handed out by files.getUploadURLExternal."""

    file_id: str
    filename: str
    data: bytes
    completed: bool = False


class SlackMethods:
    """State and Web API handlers; SlackStandIn adds the HTTP server and the recording."""

    token: str
    team_id: str
    team: str
    bot_user_id: str
    bot_id: str
    _users: dict[str, SlackUser]
    _usergroups: dict[str, list[str]]
    _messages: dict[tuple[str, str], dict[str, Any]]
    _uploads: dict[str, Upload]
    _ts_counter: itertools.count[int]
    _id_counter: itertools.count[int]

    @property
    def url(self) -> str:
        raise NotImplementedError

    def _next_ts(self) -> str:
        n = next(self._ts_counter)
        return f"{1_700_000_000 + n // 1_000_000}.{n % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._id_counter):08d}"

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://socbot-test.slack.com/",
            "team": self.team,
            "user": "socbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            return {"ok": False, "error": "no_text"}
        if (refused := blockkit_limits.refusal(params)) is not None:
            return refused
        ts = self._next_ts()
        message = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
            "text": params.get("text", ""),
            "ts": ts,
            **{k: params[k] for k in MESSAGE_FIELDS if k in params},
        }
        self._messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": dict(message)}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (params.get("channel", ""), params.get("ts", ""))
        message = self._messages.get(key)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if message.get("bot_id") != self.bot_id:
            return {"ok": False, "error": "cant_update_message"}
        if (refused := blockkit_limits.refusal(params)) is not None:
            return refused
        for name in ("text", "blocks", "attachments", "metadata"):
            if name in params:
                message[name] = params[name]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": key[0],
            "ts": key[1],
            "text": message.get("text", ""),
            "message": dict(message),
        }

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("user") or params["user"] not in self._users:
            return {"ok": False, "error": "user_not_in_channel"}
        if (refused := blockkit_limits.refusal(params)) is not None:
            return refused
        return {"ok": True, "message_ts": self._next_ts()}

    def _permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel", ""), params.get("message_ts", "")
        if (channel, ts) not in self._messages:
            return {"ok": False, "error": "message_not_found"}
        link = f"https://socbot-test.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel", ""), params.get("ts", "")
        if (channel, ts) not in self._messages:
            return {"ok": False, "error": "thread_not_found"}
        thread = [
            dict(m)
            for (ch, _), m in self._messages.items()
            if ch == channel and (m["ts"] == ts or m.get("thread_ts") == ts)
        ]
        thread.sort(key=lambda m: m["ts"])
        return {"ok": True, "messages": thread, "has_more": False}

    def _open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users", "")).split(",")
        if not users[0] or any(u not in self._users for u in users):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": "D" + users[0].lstrip("UW")}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(params.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        profile: dict[str, Any] = {"real_name": user.real_name, "display_name": user.display_name}
        if user.email is not None:
            profile["email"] = user.email
        return {
            "ok": True,
            "user": {
                "id": user.id,
                "team_id": user.team_id or self.team_id,
                "name": user.display_name or user.id.lower(),
                "deleted": user.deleted,
                "real_name": user.real_name,
                "is_bot": user.is_bot,
                "profile": profile,
            },
        }

    def _usergroup_users(self, params: dict[str, Any]) -> dict[str, Any]:
        members = self._usergroups.get(params.get("usergroup", ""))
        if members is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(members)}

    def _upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not params.get("length"):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = self._next_id("F")
        self._uploads[file_id] = Upload(file_id, str(params["filename"]), b"")
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        done = []
        for item in files:
            upload = self._uploads.get(str(item.get("id")))
            if upload is None or not upload.data:
                return {"ok": False, "error": "file_not_found"}
            name, data = upload.filename, upload.data
            self._uploads[upload.file_id] = Upload(upload.file_id, name, data, completed=True)
            title = item.get("title") or name
            done.append({"id": upload.file_id, "name": name, "title": title, "size": len(data)})
        return {"ok": True, "files": done}


METHODS: dict[str, Callable[[SlackMethods, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": SlackMethods._auth_test,
    "chat.postMessage": SlackMethods._post_message,
    "chat.update": SlackMethods._update,
    "chat.postEphemeral": SlackMethods._post_ephemeral,
    "chat.getPermalink": SlackMethods._permalink,
    "conversations.replies": SlackMethods._replies,
    "conversations.open": SlackMethods._open,
    "users.info": SlackMethods._users_info,
    "usergroups.users.list": SlackMethods._usergroup_users,
    "files.getUploadURLExternal": SlackMethods._upload_url,
    "files.completeUploadExternal": SlackMethods._complete_upload,
}
