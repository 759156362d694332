"""Not on the data path: a local Secoda-compatible receiver for tests and the demo."""
