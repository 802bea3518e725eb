"""Pipeline: discovery, parsing workers and the writers that bring the stores up to date.

The only layer that creates threads, processes and queues.
"""
