"""A signed checkpoint of the audit head: what is signed, and its one-line published form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.audit.event import ts_text
from bot.canonical import canonical_json


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    ts: datetime
    key_id: str
    signature: str

    def message(self) -> bytes:
        return signed_message(self.seq, self.hash, self.ts, self.key_id)

    def to_json(self) -> str:
        return canonical_json(
            {
                "seq": self.seq,
                "hash": self.hash,
                "ts": ts_text(self.ts),
                "key_id": self.key_id,
                "signature": self.signature,
            }
        )

    @classmethod
    def from_json(cls, line: str) -> Checkpoint:
        value = json.loads(line)
        return cls(
            int(value["seq"]),
            str(value["hash"]),
            datetime.fromisoformat(str(value["ts"]).replace("Z", "+00:00")),
            str(value["key_id"]),
            str(value["signature"]),
        )


def signed_message(seq: int, head_hash: str, ts: datetime, key_id: str) -> bytes:
    body = {"v": 1, "seq": seq, "hash": head_hash, "ts": ts_text(ts), "key_id": key_id}
    return canonical_json(body).encode("utf-8")
