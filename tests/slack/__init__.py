"""Tests of bot/slack."""
