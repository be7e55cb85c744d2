"""The Train tab: a training run in its own process (the train command), its plan, the run folder it
reads, and the tab's widgets. Its place in the window is the shell's (shell/train_tools.py)."""
