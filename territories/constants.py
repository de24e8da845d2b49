"""Spatial reference systems, named once (never degrees × 111)."""

WGS84 = 4326  # storage and maps
LAMBERT93 = 2154  # metric computations in metropolitan France

# Simplification tolerance for map geometries, in degrees of WGS84 (≈ 100 m at our latitudes).
MAP_SIMPLIFY_TOLERANCE = 0.001
MAP_COORD_PRECISION = 4  # decimals kept in GeoJSON (≈ 10 m)
# National map (départements of France at zoom 5–7): coarser outlines, fewer decimals (≈ 100 m).
NATIONAL_SIMPLIFY_TOLERANCE = 0.01
NATIONAL_COORD_PRECISION = 3
# A région's communes (drawn at zoom 7–8, ≈ 500 m a pixel): ≈ 400 m tolerance, ≈ 100 m decimals.
REGION_SIMPLIFY_TOLERANCE = 0.004
REGION_COORD_PRECISION = 3
