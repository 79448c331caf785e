"""The model side: chat models (OpenAI-compatible, offline engine), the tool-calling loop,
prompts and token budgets."""
