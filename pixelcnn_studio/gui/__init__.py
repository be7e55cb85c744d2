"""The Qt desktop app. Everything here may import the core; nothing in the core imports this."""
