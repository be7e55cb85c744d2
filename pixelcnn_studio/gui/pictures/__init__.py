"""The Draw tab (a drawing pad, live conditioning, Complete) and the Surprise tab (bits per pixel)."""
