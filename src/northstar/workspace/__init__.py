"""The design as one workbook: every domain's sheets imported together, all or nothing."""
