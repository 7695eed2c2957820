"""sdexl: a spreadsheet-native data collection among the 98 Danish municipalities."""

__version__ = "0.1.0"
