"""Reference baselines that write advice text for `mixbuddy evaluate`."""
