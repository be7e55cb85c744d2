"""The Qt desktop app. Everything here may import the core; nothing in the core imports this.

One package per view, and imports run one way, down the floors (app.py, which starts the Studio,
sits on top of them all):

    shell/      the window: menus, keys, presentation, start-up, model loading, and the wiring that
                puts each view in the window
    sampling/   the sampling view: run controls and statistics, stage, timeline
    fields/     the receptive-field explorer and the field drawn over the sampling canvas
    pictures/   the Draw and Surprise tabs
    portrait/   the Portrait panel and the Interpolation tab
    train/      the Train tab: a training run in its own process, read from its run folder
    common/     what the views share: settings, theme, background jobs, the sampling run and its
                canvas, the distribution chart, exports, pictures, labels and side panels

The shell may import every view and common; a view imports `common` only, never the shell or another view;
`common` imports no view. tests/test_gui_layout.py checks it.
"""
