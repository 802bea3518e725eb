"""Name resolution through a real index: calls, imports and bases to their targets."""
