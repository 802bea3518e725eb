"""Plain data types shared by every layer; imports nothing from kenning above it."""
