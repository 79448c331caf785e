"""OpenBao: per-call credentials mirrored as child tokens, providers' secrets from KV v2,
and audit checkpoints signed by the transit engine. See docs/openbao.md."""
