"""Performance cycles (S9.1, S9.3): states, participants, the plan, frozen card versions, changes."""
