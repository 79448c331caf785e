"""Tests of bot/digest."""
