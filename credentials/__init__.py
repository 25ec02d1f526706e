"""Microcredentials: issuing, signing, verifying, revoking and stacking."""
