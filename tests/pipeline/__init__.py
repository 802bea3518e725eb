"""Tests for the pipeline: open documents, the change scheduler and the file watcher."""
