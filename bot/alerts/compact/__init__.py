"""A vendor event made short for the model: facts first, then a pruned body."""
