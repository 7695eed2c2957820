"""Analysis over harvested answers: tables, variation, correlation, development."""
