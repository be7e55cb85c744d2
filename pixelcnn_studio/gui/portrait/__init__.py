"""The Portrait panel (embed a face, sample conditioned on it) and the Interpolation tab."""
