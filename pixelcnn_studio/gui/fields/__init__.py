"""The receptive-field explorer (exact and effective fields, the blind-spot lesson) and the field
drawn over the sampling canvas."""
