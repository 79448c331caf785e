"""Tests of bot/policy."""
