"""Storage: the two generic stores, CSV import/export, one repository per data kind, DataBlob."""
