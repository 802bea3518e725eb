"""Tests for workspace file discovery (`kenning.pipeline.discover`)."""
