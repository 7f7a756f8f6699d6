"""Personal scorecards inherited from positions (S6.2), team indicators with each member's
contribution (S6.5), and the alignment tree from customer value down to people (S6.4)."""
