"""Fixtures and helpers several test modules share, by area: a test module never imports another."""
