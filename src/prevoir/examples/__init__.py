"""Example projects (config + real data subsets) that `prevoir init` copies."""

__all__ = ["EXAMPLES"]

EXAMPLES = ("bikes", "crypto")  # one folder each, beside this file
