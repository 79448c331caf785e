"""Tests of bot/audit."""
