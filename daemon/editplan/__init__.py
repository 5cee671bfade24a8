"""What an edit is, independent of who renders it: the EditPlan, the one vocabulary of
edit words and values, and the `edits:` schema of rules.yaml.

Both config.py (which validates `edits:`) and the local engine (whose prompt grammar builds
EditPlans and whose filter graph renders them) depend on this package; it depends on
neither, so the config and the engines form no import cycle.
"""
