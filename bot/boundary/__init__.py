"""Where data leaves socbot's hands, one Redactor (bot.redaction) is applied once, at a
chokepoint rather than at each caller:

- model.py: every model request (prompt, history, tool results) and every reply or error;
- slack.py: every Slack Web API call socbot makes;
- database.py: every string written by INSERT or UPDATE to socbot's tables;
- logs.py: every log record, message, arguments and traceback.
"""
