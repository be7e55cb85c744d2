"""The window: menus, keys, presentation mode, start-up, model loading, and each view's place in it."""
