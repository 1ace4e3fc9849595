"""The bench: a busy practice built in bulk, and the measures `make bench` reports."""
