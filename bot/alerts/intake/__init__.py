"""Taking alerts in: webhook and signature, payload, normalize, dedupe, storms, durable store."""
