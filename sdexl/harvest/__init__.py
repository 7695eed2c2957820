"""Harvest returned workbooks: identify, validate, archive, give feedback."""
