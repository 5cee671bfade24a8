"""Engines turn one job's source files into one finished MP4. See base.py for the seam."""
