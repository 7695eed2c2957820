"""What leaves sdexl: master workbook, data extracts, benchmark reports."""
