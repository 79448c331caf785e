"""socbot serve: run the Slack front end, the alert webhook and the health check."""

from __future__ import annotations

import argparse
import logging

from bot.commands.common import Subparsers, add_command, settings_for
from bot.config import Settings
from bot.errors import ConfigError

HELP = "run the Slack app, the alert webhook and /healthz"
EPILOG = """\
settings (environment or .env):
  SLACK_BOT_TOKEN        Bot User OAuth Token (xoxb-…), always
  SLACK_SIGNING_SECRET   Signing Secret from Basic Information, over HTTP
  SLACK_APP_TOKEN        app-level token (xapp-…, connections:write), with --socket
  SOCBOT_ALERTS_CHANNEL  channel id for triage posts, always
  SOCBOT_HOST, PORT      where to listen (default 127.0.0.1:3000)
  DATABASE_URL           shared by every serving process (PostgreSQL for more than one)

Over HTTP, point the app's Event Subscriptions and /socbot Request URLs at
https://<your host>/slack/events (see slack-manifest.yaml). With --socket, Slack events
arrive over a WebSocket instead, and the port still serves /healthz and /alerts/<source>.
Stops cleanly on SIGTERM or Ctrl-C: open requests and running Slack work finish first."""

WHERE = {
    "SLACK_BOT_TOKEN": "OAuth & Permissions → Bot User OAuth Token",
    "SLACK_SIGNING_SECRET": "Basic Information → App Credentials → Signing Secret",
    "SLACK_APP_TOKEN": "Basic Information → App-Level Tokens (scope connections:write)",
    "SOCBOT_ALERTS_CHANNEL": "the id (C…) of the channel for triage posts; invite socbot there",
}


def register(commands: Subparsers) -> None:
    cmd = add_command(commands, "serve", serve, HELP)
    cmd.formatter_class = argparse.RawDescriptionHelpFormatter
    cmd.epilog = EPILOG
    cmd.add_argument(
        "--socket",
        action="store_true",
        help="receive Slack events over Socket Mode (no public URL needed)",
    )
    cmd.add_argument("--host", help="address to listen on (default: SOCBOT_HOST, 127.0.0.1)")
    cmd.add_argument("--port", type=int, help="port to listen on (default: PORT, 3000)")


def missing_settings(config: Settings, *, socket: bool) -> list[str]:
    """The Slack settings serve needs and does not have."""
    secrets = {
        "SLACK_BOT_TOKEN": config.slack_bot_token,
        "SLACK_APP_TOKEN" if socket else "SLACK_SIGNING_SECRET": (
            config.slack_app_token if socket else config.slack_signing_secret
        ),
    }
    missing = [name for name, value in secrets.items() if not value or not value.get_secret_value()]
    if not config.slack_alerts_channel:
        missing.append("SOCBOT_ALERTS_CHANNEL")
    return missing


def serve(args: argparse.Namespace) -> int:
    config = settings_for(args)
    missing = missing_settings(config, socket=args.socket)
    if missing:
        advice = "; ".join(f"{name} ({WHERE[name]})" for name in missing)
        mode = "Socket Mode" if args.socket else "HTTP mode"
        raise ConfigError(f"socbot serve in {mode} needs {advice}. See `socbot serve --help`.")
    logging.getLogger().setLevel(min(logging.getLogger().level, _level(config.log_level)))
    if config.audit_key_file is None:
        logging.getLogger(__name__).warning(
            "SOCBOT_AUDIT_KEY_FILE is not set: the audit log has no seals or signed "
            "checkpoints, so a database admin could rewrite it unseen (docs/audit.md)"
        )
    from bot.slack.server import serve as run_server  # Slack and uvicorn load only here

    run_server(config, socket=args.socket, host=args.host, port=args.port)
    return 0


def _level(name: str) -> int:
    level = logging.getLevelName(name.upper())
    return level if isinstance(level, int) else logging.INFO
