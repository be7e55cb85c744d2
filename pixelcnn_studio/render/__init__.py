"""Qt-free presentation shared by the app's views and its exports: colours, fonts, text, pictures.

Below gui/ and beside core/: it may use the core (numbers to draw), never Qt, so an export made
on a server is the picture the app shows.
"""
