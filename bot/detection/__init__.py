"""The detection engine: rules as data that read what an event did, and the verdict they give.

Rules live in YAML (the defaults shipped in rules/, an admin file from the
SOCBOT_DETECTION_RULES setting that adds or overrides by id), checked against schema.json with
file:line errors. A rule names the vendor sources and normalized event types it reads, the
fields that must (and must not) hold, its ATT&CK technique and severity.
"""
