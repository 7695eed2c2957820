"""Generate one screening workbook per municipality."""
