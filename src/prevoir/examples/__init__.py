"""Example projects (config + real data subsets) that `prevoir init` copies."""

__all__: list[str] = []
