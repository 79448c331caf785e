"""Tests of bot/alerts."""
