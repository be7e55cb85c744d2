"""What the views share: settings, theme, background jobs, the sampling run and its canvas, the
distribution chart, exports, pictures between numpy/PIL/Qt, elided labels and side panels.
Imports no view and not the shell."""
