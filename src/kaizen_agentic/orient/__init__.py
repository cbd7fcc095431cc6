"""Orient: memory, feedback, protocols, the coach brief and the prepare bundle (SPEC §5, §6)."""
