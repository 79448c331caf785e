"""Parked actions: requests, their store, and the approver rules that release them."""
