"""The sampling view: run controls and statistics, the live distribution, the stage, the timeline."""
