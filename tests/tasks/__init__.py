"""Tests of bot/tasks."""
