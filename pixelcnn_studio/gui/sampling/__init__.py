"""The sampling view: run controls and statistics, the stage, the timeline."""
