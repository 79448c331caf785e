"""Tests of bot/agent."""
