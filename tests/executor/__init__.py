"""Tests of bot/executor."""
