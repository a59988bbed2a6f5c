"""The flawed-mix dataset as recipes: templates, Recipe, build (chunk → gate → JSONL), render, stats."""
