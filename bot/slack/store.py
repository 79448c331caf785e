"""Tables: being written."""
