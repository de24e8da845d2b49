"""Spatial reference systems, named once (never degrees × 111)."""

WGS84 = 4326  # storage and maps
LAMBERT93 = 2154  # metric computations in metropolitan France

# Simplification tolerance for map geometries, in degrees of WGS84 (≈ 100 m at our latitudes).
MAP_SIMPLIFY_TOLERANCE = 0.001
MAP_COORD_PRECISION = 4  # decimals kept in GeoJSON (≈ 10 m)
# National map (départements of France at zoom 5–7): coarser outlines, fewer decimals (≈ 100 m).
NATIONAL_SIMPLIFY_TOLERANCE = 0.01
NATIONAL_COORD_PRECISION = 3
# A région's communes (drawn at zoom 7, ≈ 900 m a pixel): ≈ 600–900 m tolerance, ≈ 100 m decimals
# (Nouvelle-Aquitaine 251 kB gzipped, Grand Est 267 kB; 0.004 gave 344 kB).
REGION_SIMPLIFY_TOLERANCE = 0.008
REGION_COORD_PRECISION = 3
