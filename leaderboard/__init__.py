"""Static leaderboard: summarise the result store to JSON, then render HTML from that JSON."""
