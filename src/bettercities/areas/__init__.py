"""Cities, spatial levels, areas with hierarchy, geometry and validity; crosswalks between versions."""
