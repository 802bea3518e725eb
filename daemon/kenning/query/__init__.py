"""Queries over the stores: symbol lookup, call graphs and search. Read-only."""
