"""Independent red-team corpus: single-change weakenings of the demo stack state that the gate should catch."""
