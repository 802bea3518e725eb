"""End-to-end tests through real editors' LSP clients against `kenning serve`."""
